# anj-rs: runs `cargo build` for the anjay_lite CMake package.
#
#   cmake -DANJ_RS_INVOCATION=<file> -P anj_rs_cargo.cmake
#
# <file> is written by anjay_lite-config.cmake and sets anj_rs_cargo,
# anj_rs_args, anj_rs_env (NAME=VALUE items), anj_rs_header (where the build
# directory's anj/anj_config.h goes), anj_rs_repo, anj_rs_target_dir,
# anj_rs_cargo_lib (the library cargo writes), anj_rs_lib (the copy the build
# directory links) and anj_rs_nm (the nm that reads the library's symbols).
#
# The header is build.rs's anj/anj_config.h completed with the sizes of the opaque
# types, which the compiled library carries as symbols (anj_rs_sizes.cmake,
# src/layout.rs): it is written after cargo has built the library, and before
# anything that includes it compiles (those targets depend on this one). The script is used both while configuring and by the
# `anj_rs_cargo_build` target, which runs on every build: cargo itself decides
# whether anything is stale, and the header and the library are copied only when
# they changed, so a build
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
include("${CMAKE_CURRENT_LIST_DIR}/anj_rs_sizes.cmake")

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

# cargo prints JSON messages on stdout (diagnostics rendered on stderr); the
# build-script-executed message of this package gives build.rs's OUT_DIR, where it
# writes anj/anj_config.h. Cargo sends that message for a fresh build script too.
function(_anj_rs_run_cargo out_dir_var)
  execute_process(COMMAND "${anj_rs_cargo}" ${anj_rs_args}
                  RESULT_VARIABLE _rc OUTPUT_VARIABLE _json)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "anj-rs: `cargo build` failed (${_rc}).")
  endif()
  string(REPLACE ";" "<semicolon>" _json "${_json}")
  string(REPLACE "\n" ";" _lines "${_json}")
  set(_out_dir "")
  foreach(_line IN LISTS _lines)
    if(_line MATCHES "\"reason\":\"build-script-executed\"")
      string(FIND "${_line}" "path+file://${anj_rs_repo}#" _new_id)
      string(FIND "${_line}" "path+file://${anj_rs_repo})" _old_id)
      if((_new_id GREATER -1 OR _old_id GREATER -1)
         AND _line MATCHES "\"out_dir\":\"([^\"]*)\"")
        set(_out_dir "${CMAKE_MATCH_1}")
      endif()
    endif()
  endforeach()
  set(${out_dir_var} "${_out_dir}" PARENT_SCOPE)
endfunction()

_anj_rs_run_cargo(_out_dir)
set(_generated "${_out_dir}/include/anj/anj_config.h")
if(_out_dir STREQUAL "" OR NOT EXISTS "${_generated}")
  # Cargo's records survived a deleted OUT_DIR: forget them so that build.rs runs.
  file(GLOB _fingerprints
    "${anj_rs_target_dir}/*/.fingerprint/anj-*"
    "${anj_rs_target_dir}/*/*/.fingerprint/anj-*")
  if(_fingerprints)
    file(REMOVE_RECURSE ${_fingerprints})
  endif()
  _anj_rs_run_cargo(_out_dir)
  set(_generated "${_out_dir}/include/anj/anj_config.h")
  if(_out_dir STREQUAL "" OR NOT EXISTS "${_generated}")
    message(FATAL_ERROR "anj-rs: cargo succeeded but build.rs's anj/anj_config.h was not "
      "found (OUT_DIR: \"${_out_dir}\").")
  endif()
endif()
if(NOT EXISTS "${anj_rs_cargo_lib}")
  message(FATAL_ERROR "anj-rs: cargo succeeded but ${anj_rs_cargo_lib} is missing.")
endif()
# The sizes come from the library cargo just wrote (under the lock: another build
# directory may share the target directory). The header is rewritten only when it
# changes, so C sources are not recompiled needlessly.
anj_rs_complete_config_header("${anj_rs_nm}" "${anj_rs_cargo_lib}" "${_generated}"
                              "${anj_rs_header}")
# copy_if_different keeps the copy's time stamp when nothing changed.
execute_process(COMMAND "${CMAKE_COMMAND}" -E copy_if_different
                "${anj_rs_cargo_lib}" "${anj_rs_lib}" RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "anj-rs: could not copy ${anj_rs_cargo_lib} to ${anj_rs_lib}.")
endif()
