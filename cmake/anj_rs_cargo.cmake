# anj-rs: runs `cargo build` for the anjay_lite CMake package.
#
#   cmake -DANJ_RS_INVOCATION=<file> -P anj_rs_cargo.cmake
#
# <file> is written by anjay_lite-config.cmake and sets anj_rs_cargo,
# anj_rs_args, anj_rs_env (NAME=VALUE items), anj_rs_header, anj_rs_target_dir,
# anj_rs_cargo_lib (the library cargo writes) and anj_rs_lib (the copy the build
# directory links). The script is used both while configuring and by the
# `anj_rs_cargo_build` target, which runs on every build: cargo itself decides
# whether anything is stale, build.rs rewrites anj/anj_config.h only when its
# contents change, and the library is copied only when it changed, so a build
# with nothing to do relinks nothing.
#
# Several build directories may share one target directory (ANJ_RS_CARGO_TARGET_DIR
# or CARGO_TARGET_DIR): cargo's output path is the same for all of them, so cargo
# and the copy run under a lock on the target directory.

if(NOT ANJ_RS_INVOCATION OR NOT EXISTS "${ANJ_RS_INVOCATION}")
  message(FATAL_ERROR "anj_rs_cargo.cmake: ANJ_RS_INVOCATION must name the file "
    "written by anjay_lite-config.cmake; re-run cmake.")
endif()
include("${ANJ_RS_INVOCATION}")

# See anjay_lite-config.cmake: CC and CXX come from the invocation file only.
unset(ENV{CC})
unset(ENV{CXX})
foreach(_item IN LISTS anj_rs_env)
  if(_item MATCHES "^([^=]+)=(.*)$")
    set("ENV{${CMAKE_MATCH_1}}" "${CMAKE_MATCH_2}")
  endif()
endforeach()

file(MAKE_DIRECTORY "${anj_rs_target_dir}")
file(LOCK "${anj_rs_target_dir}/.anj-rs-cmake.lock" GUARD PROCESS TIMEOUT 3600
     RESULT_VARIABLE _lock)
if(NOT _lock EQUAL 0)
  message(FATAL_ERROR "anj-rs: could not lock ${anj_rs_target_dir}: ${_lock}")
endif()

# build.rs writes the header only when it runs, and cargo reruns it only when
# its inputs change. If the header has gone (a `clean`, a deleted directory)
# while cargo's own records survived, forget cargo's records for this crate so
# that build.rs runs again.
if(NOT EXISTS "${anj_rs_header}")
  file(GLOB _fingerprints
    "${anj_rs_target_dir}/*/.fingerprint/anj-*"
    "${anj_rs_target_dir}/*/*/.fingerprint/anj-*")
  if(_fingerprints)
    file(REMOVE_RECURSE ${_fingerprints})
  endif()
endif()

execute_process(COMMAND "${anj_rs_cargo}" ${anj_rs_args} RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "anj-rs: `cargo build` failed (${_rc}).")
endif()
if(NOT EXISTS "${anj_rs_header}")
  message(FATAL_ERROR "anj-rs: cargo succeeded but did not write ${anj_rs_header}; "
    "is ANJ_CONFIG_HEADER_DIR handled by build.rs?")
endif()
if(NOT EXISTS "${anj_rs_cargo_lib}")
  message(FATAL_ERROR "anj-rs: cargo succeeded but ${anj_rs_cargo_lib} is missing.")
endif()
# copy_if_different keeps the copy's time stamp when nothing changed.
execute_process(COMMAND "${CMAKE_COMMAND}" -E copy_if_different
                "${anj_rs_cargo_lib}" "${anj_rs_lib}" RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "anj-rs: could not copy ${anj_rs_cargo_lib} to ${anj_rs_lib}.")
endif()
