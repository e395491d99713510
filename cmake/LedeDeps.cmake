# Finds every library lede links, each through pkg-config when the Debian
# package ships a .pc file and through find_path/find_library otherwise.
# A missing library stops the configure step with the name of the Debian
# package that provides it; scripts/deps installs them all.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

# lede_dep(<target> PC <module> HEADER <h> LIB <name> DEB <package>)
# defines the INTERFACE target lede::<target>.
function(lede_dep target)
  cmake_parse_arguments(D "" "PC;HEADER;LIB;DEB" "" ${ARGN})
  add_library(lede_dep_${target} INTERFACE)
  add_library(lede::${target} ALIAS lede_dep_${target})
  if(D_PC)
    pkg_check_modules(PC_${target} QUIET IMPORTED_TARGET ${D_PC})
    if(PC_${target}_FOUND)
      target_link_libraries(lede_dep_${target} INTERFACE PkgConfig::PC_${target})
      return()
    endif()
  endif()
  find_path(${target}_INCLUDE_DIR ${D_HEADER} PATH_SUFFIXES libxml2)
  find_library(${target}_LIBRARY ${D_LIB})
  if(NOT ${target}_INCLUDE_DIR OR NOT ${target}_LIBRARY)
    message(FATAL_ERROR
      "lede: ${target} (${D_HEADER}, lib${D_LIB}) not found. "
      "Install the Debian package ${D_DEB}: run scripts/deps, or apt-get install ${D_DEB}")
  endif()
  target_include_directories(lede_dep_${target} INTERFACE ${${target}_INCLUDE_DIR})
  target_link_libraries(lede_dep_${target} INTERFACE ${${target}_LIBRARY})
endfunction()

lede_dep(lmdb        PC lmdb        HEADER lmdb.h          LIB lmdb        DEB liblmdb-dev)
lede_dep(stemmer                    HEADER libstemmer.h    LIB stemmer     DEB libstemmer-dev)
lede_dep(utf8proc    PC libutf8proc HEADER utf8proc.h      LIB utf8proc    DEB libutf8proc-dev)
lede_dep(cjson       PC libcjson    HEADER cjson/cJSON.h   LIB cjson       DEB libcjson-dev)
lede_dep(xml2        PC libxml-2.0  HEADER libxml/HTMLparser.h LIB xml2    DEB libxml2-dev)
lede_dep(zstd        PC libzstd     HEADER zstd.h          LIB zstd        DEB libzstd-dev)
lede_dep(xxhash      PC libxxhash   HEADER xxhash.h        LIB xxhash      DEB libxxhash-dev)
lede_dep(streamvbyte                HEADER streamvbyte.h   LIB streamvbyte DEB libstreamvbyte-dev)
# lede-index reads gzip and xz compressed inputs (zstd through lede::zstd).
lede_dep(zlib        PC zlib        HEADER zlib.h          LIB z           DEB zlib1g-dev)
lede_dep(lzma        PC liblzma     HEADER lzma.h          LIB lzma        DEB liblzma-dev)
# lede-index allocates through jemalloc with transparent huge pages: a
# quarter of its time went to page faults under glibc's malloc (see
# indexer/malloc_conf.c).  Sanitizers bring their own allocator.
if(LEDE_JEMALLOC AND NOT LEDE_SANITIZE)
  lede_dep(jemalloc  PC jemalloc    HEADER jemalloc/jemalloc.h LIB jemalloc DEB libjemalloc-dev)
endif()

if(LEDE_TESTS)
  lede_dep(criterion PC criterion   HEADER criterion/criterion.h LIB criterion DEB libcriterion-dev)
endif()
if(LEDE_TESTS OR LEDE_BENCH)
  # SQLite FTS5 is the peer the benchmarks and some tests compare against.
  lede_dep(sqlite3   PC sqlite3     HEADER sqlite3.h       LIB sqlite3     DEB libsqlite3-dev)
endif()
