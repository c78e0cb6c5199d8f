# anj-rs: completes anj/anj_config.h with the sizes of the opaque types, read from the
# compiled library.
#
# build.rs writes anj/anj_config.h before the library is compiled, so it cannot know
# how large `anj_t` and the other types C allocates are; it leaves the line with
# @ANJ_RS_PROBED_SIZES@ in their place. The compiled library carries each size and
# alignment as an absolute symbol, anj_rs_sizeof_<name> / anj_rs_alignof_<name>
# (src/layout.rs). This reads them with `nm` (the toolchain's, or any nm that reads the
# target's object files: nothing runs on the target) and writes the header with
# ANJ_INTERNAL_SIZEOF_<NAME> and ANJ_INTERNAL_ALIGNOF_<NAME> in place of that line.
#
# As a script:
#   cmake -DANJ_RS_NM=<nm> -DANJ_RS_LIB=<libanj.a or any binary linking it>
#         -DANJ_RS_HEADER_IN=<build.rs's anj/anj_config.h>
#         -DANJ_RS_HEADER_OUT=<complete anj/anj_config.h> -P anj_rs_sizes.cmake
# or, after include(), anj_rs_complete_config_header(<nm> <lib> <in> <out>).
# The output is rewritten only when its contents change (C code is not rebuilt
# needlessly).

function(anj_rs_complete_config_header nm lib header_in header_out)
  execute_process(COMMAND "${nm}" "${lib}"
                  RESULT_VARIABLE _rc OUTPUT_VARIABLE _symbols ERROR_VARIABLE _err)
  # nm says "no symbols" (and may fail) for some archive members; the probes decide.
  string(REGEX MATCHALL "[0-9A-Fa-f]+ [Aa] _?anj_rs_(sizeof|alignof)_[a-z0-9_]+"
         _probes "${_symbols}")
  set(_names "")
  foreach(_probe IN LISTS _probes)
    string(REGEX MATCH "^([0-9A-Fa-f]+) [Aa] _?anj_rs_(sizeof|alignof)_([a-z0-9_]+)$"
           _ "${_probe}")
    set(_hex "${CMAKE_MATCH_1}")
    set(_kind "${CMAKE_MATCH_2}")
    string(TOUPPER "${CMAKE_MATCH_3}" _name)
    math(EXPR _value "0x${_hex}" OUTPUT_FORMAT DECIMAL)
    if(DEFINED _${_kind}_${_name} AND NOT _${_kind}_${_name} EQUAL _value)
      message(FATAL_ERROR "anj-rs: ${lib} has two different anj_rs_${_kind}_${CMAKE_MATCH_3} "
        "(${_${_kind}_${_name}} and ${_value}).")
    endif()
    set(_${_kind}_${_name} "${_value}")
    list(APPEND _names "${_name}")
  endforeach()
  list(REMOVE_DUPLICATES _names)
  list(SORT _names)
  list(FIND _names ANJ_T _anj_t)
  if(_anj_t EQUAL -1)
    string(LENGTH "${_err}" _len)
    if(_len GREATER 600)
      string(SUBSTRING "${_err}" 0 600 _err)
      string(APPEND _err "...")
    endif()
    message(FATAL_ERROR "anj-rs: `${nm} ${lib}` shows no anj_rs_sizeof_anj_t symbol, so "
      "anj/anj_config.h cannot get the sizes of the opaque types (see src/layout.rs). "
      "Is ${nm} able to read the target's object files? (${_rc}: ${_err})")
  endif()
  string(CONCAT _defines "/* Sizes and alignments of the opaque types the application allocates, as the\n"
               " * compiler laid them out for the library (src/layout.rs), read from its\n"
               " * symbols by cmake/anj_rs_sizes.cmake. */\n")
  foreach(_name IN LISTS _names)
    if(NOT DEFINED _sizeof_${_name} OR NOT DEFINED _alignof_${_name})
      message(FATAL_ERROR "anj-rs: ${lib} has only one of anj_rs_sizeof_/alignof_ for ${_name}.")
    endif()
    math(EXPR _rem "${_sizeof_${_name}} % 8")
    if(NOT _rem EQUAL 0 OR _alignof_${_name} GREATER 8)
      message(FATAL_ERROR "anj-rs: ${_name}: size ${_sizeof_${_name}} / alignment "
        "${_alignof_${_name}} do not fit uint64_t storage.")
    endif()
    string(APPEND _defines "#define ANJ_INTERNAL_SIZEOF_${_name} ${_sizeof_${_name}}\n")
    string(APPEND _defines "#define ANJ_INTERNAL_ALIGNOF_${_name} ${_alignof_${_name}}\n")
  endforeach()

  file(READ "${header_in}" _header)
  string(FIND "${_header}" "@ANJ_RS_PROBED_SIZES@" _at)
  if(_at EQUAL -1)
    message(FATAL_ERROR "anj-rs: ${header_in} has no @ANJ_RS_PROBED_SIZES@ line.")
  endif()
  # The whole placeholder line goes.
  string(SUBSTRING "${_header}" 0 ${_at} _before)
  string(FIND "${_before}" "\n" _line_start REVERSE)
  math(EXPR _line_start "${_line_start} + 1")
  string(SUBSTRING "${_header}" 0 ${_line_start} _before)
  string(SUBSTRING "${_header}" ${_at} -1 _after)
  string(FIND "${_after}" "\n" _line_end)
  math(EXPR _line_end "${_line_end} + 1")
  string(SUBSTRING "${_after}" ${_line_end} -1 _after)
  set(_header "${_before}${_defines}${_after}")
  set(_old "")
  if(EXISTS "${header_out}")
    file(READ "${header_out}" _old)
  endif()
  if(NOT _old STREQUAL _header)
    get_filename_component(_dir "${header_out}" DIRECTORY)
    file(MAKE_DIRECTORY "${_dir}")
    file(WRITE "${header_out}" "${_header}")
  endif()
endfunction()

if(CMAKE_SCRIPT_MODE_FILE AND CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  foreach(_var ANJ_RS_NM ANJ_RS_LIB ANJ_RS_HEADER_IN ANJ_RS_HEADER_OUT)
    if(NOT ${_var})
      message(FATAL_ERROR "anj_rs_sizes.cmake: -D${_var}=... is missing.")
    endif()
  endforeach()
  anj_rs_complete_config_header("${ANJ_RS_NM}" "${ANJ_RS_LIB}" "${ANJ_RS_HEADER_IN}"
                                "${ANJ_RS_HEADER_OUT}")
endif()
