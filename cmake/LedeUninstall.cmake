# Removes every file listed in an install manifest (cmake -P script).
#   [DESTDIR=/stage] cmake -DMANIFEST=build/install_manifest.txt -P cmake/LedeUninstall.cmake
# The manifest is what CMake wrote at the last `cmake --install` from that
# build directory: the installed paths without DESTDIR, so DESTDIR, when set,
# is put in front of each one again, as the install did.  This removes
# exactly what that install created; directories are left alone, since they
# may hold other packages' files.
if(NOT DEFINED MANIFEST OR NOT EXISTS "${MANIFEST}")
  message(FATAL_ERROR "lede: no install manifest at '${MANIFEST}': nothing was installed from this build directory")
endif()
set(_destdir "$ENV{DESTDIR}")
file(STRINGS "${MANIFEST}" _files)
set(_removed 0)
foreach(_f IN LISTS _files)
  set(_f "${_destdir}${_f}")
  if(IS_SYMLINK "${_f}" OR EXISTS "${_f}")
    file(REMOVE "${_f}")
    if(IS_SYMLINK "${_f}" OR EXISTS "${_f}")
      message(FATAL_ERROR "lede: could not remove ${_f}")
    endif()
    math(EXPR _removed "${_removed} + 1")
  else()
    message(STATUS "lede: already gone: ${_f}")
  endif()
endforeach()
message(STATUS "lede: removed ${_removed} installed files")
