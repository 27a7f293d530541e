# What `cmake --install` puts where beyond the binaries, and the .deb built from it with
# `cpack -G DEB` (or the `package` target). Installed with prefix /usr, the layout is Debian's:
#   /usr/bin/vigil                       the agent
#   /usr/lib/vigil/plugins/*.so          bundled plugins (found relative to the executable)
#   /etc/vigil/vigil.toml                the default config (a conffile)
#   /usr/lib/systemd/system/vigil.service
#   /usr/share/vigil/{rules,prometheus,grafana}   rule packs, Prometheus and Grafana files
#   /usr/share/doc/vigil/                README and guides
#   /usr/include/vigil, /usr/lib/cmake/VigilPluginApi   the plugin SDK
# The package's maintainer scripts (cmake/deb/) create the `vigil` system user and its state
# directory /var/lib/vigil; the unit runs as that user.

install(FILES "${CMAKE_SOURCE_DIR}/configs/systemd/vigil.service" DESTINATION lib/systemd/system)
install(DIRECTORY "${CMAKE_SOURCE_DIR}/configs/rules" "${CMAKE_SOURCE_DIR}/configs/prometheus"
                  "${CMAKE_SOURCE_DIR}/configs/grafana"
        DESTINATION ${CMAKE_INSTALL_DATADIR}/vigil)
install(FILES "${CMAKE_SOURCE_DIR}/README.md" DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY "${CMAKE_SOURCE_DIR}/docs/" DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vigil)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "vigil")
set(CPACK_PACKAGE_CONTACT "vigil maintainers <vigil@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "monitoring and performance agent with plugins")
set(CPACK_PACKAGE_DESCRIPTION
    "vigil collects system, process and application metrics through plugins, evaluates \
Prometheus-style alert rules, routes notifications (log, webhook, Slack, WeCom, email), \
caches through memory or Redis and benchmarks services with honest latency numbers.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from the libraries the binaries link
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "prometheus, grafana, redis-server")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${CMAKE_SOURCE_DIR}/cmake/deb/conffiles" "${CMAKE_SOURCE_DIR}/cmake/deb/postinst"
    "${CMAKE_SOURCE_DIR}/cmake/deb/prerm" "${CMAKE_SOURCE_DIR}/cmake/deb/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_SET_DESTDIR ON)  # /etc/vigil lies outside the prefix
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
include(CPack)
