# Install rules: `cmake --install build [--prefix DIR]` (DESTDIR honoured)
# puts in place
#
#   bin/lede-index, bin/lede-query            the two commands
#   lib/liblede.a, lib/pkgconfig/lede.pc      the library and its pkg-config file
#   include/lede.h, include/lede/*.h          the public API
#   share/man/man1, man7                      the man pages (docs/man/CMakeLists.txt)
#   share/bash-completion/completions/        bash completion, one file per command
#   share/zsh/site-functions/                 zsh completion (_lede-index, _lede-query)
#   share/doc/lede/                           README, INSTALL, LICENSE
#
# lib may be lib/<multiarch> when the prefix is /usr (GNUInstallDirs decides).
# CMake records every installed file in build/install_manifest.txt; the
# `uninstall` target (cmake --build build --target uninstall) removes exactly
# those files.  docs/INSTALL.md is the user-facing description.
#
# This file only declares install rules; it defines no build targets except
# `uninstall`, and it must be included after lib/, indexer/ and query/ so
# the targets it installs exist.
include(GNUInstallDirs)

set(LEDE_BASH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/bash-completion/completions"
    CACHE STRING "Where bash completion files are installed (relative to the prefix)")
set(LEDE_ZSH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/zsh/site-functions"
    CACHE STRING "Where zsh completion functions are installed (relative to the prefix)")

install(TARGETS lede-index lede-query RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS lede ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${CMAKE_SOURCE_DIR}/include/lede.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/lede DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")

# lede.pc is relocatable: it finds the prefix from its own location
# (${pcfiledir}), so the same file is right after `cmake --install --prefix`
# chooses another prefix than the configured one, and inside a DESTDIR
# staging tree.  The number of ".." depends on how deep the libdir is.
set(_lede_pcdir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
if(IS_ABSOLUTE "${_lede_pcdir}")
  message(FATAL_ERROR "lede: CMAKE_INSTALL_LIBDIR must be relative to the prefix, not ${CMAKE_INSTALL_LIBDIR}")
endif()
set(LEDE_PC_PREFIX "\${pcfiledir}")
string(REPLACE "/" ";" _lede_pcdir_parts "${_lede_pcdir}")
foreach(_part IN LISTS _lede_pcdir_parts)
  if(_part)
    string(APPEND LEDE_PC_PREFIX "/..")
  endif()
endforeach()
configure_file(${CMAKE_CURRENT_LIST_DIR}/lede.pc.in ${CMAKE_BINARY_DIR}/lede.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/lede.pc DESTINATION ${_lede_pcdir})

# bash-completion loads a completion lazily from a file named after the
# command, so the one script is installed under both names.
foreach(_cmd lede-index lede-query)
  install(FILES ${CMAKE_SOURCE_DIR}/completions/lede.bash
          DESTINATION ${LEDE_BASH_COMPLETION_DIR} RENAME ${_cmd})
endforeach()
install(FILES ${CMAKE_SOURCE_DIR}/completions/_lede-index ${CMAKE_SOURCE_DIR}/completions/_lede-query
        DESTINATION ${LEDE_ZSH_COMPLETION_DIR})

install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/LICENSE
              ${CMAKE_SOURCE_DIR}/docs/INSTALL.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Remove what the last install put in place, as listed in install_manifest.txt.
add_custom_target(uninstall
  COMMAND ${CMAKE_COMMAND} -DMANIFEST=${CMAKE_BINARY_DIR}/install_manifest.txt
          -P ${CMAKE_CURRENT_LIST_DIR}/LedeUninstall.cmake
  COMMENT "Removing the files listed in install_manifest.txt"
  VERBATIM)
