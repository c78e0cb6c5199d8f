# anj-rs: the `anjay_lite` CMake package.
#
#   set(ANJ_WITH_SECURITY OFF)          # options first, as plain variables ...
#   find_package(anjay_lite REQUIRED)   # ... then the package
#   target_link_libraries(app PRIVATE anj anj_extra_warning_flags)
#
# What this file does
# -------------------
# * Reads every Anjay Lite 3.0.0 configuration option (ANJ_*) from the calling
#   scope (plain or cache variables; an option that is not set takes Anjay
#   Lite's default), checks the values and the combinations that Anjay Lite
#   rejects, and fails the configure step with a clear message when something
#   is wrong.
# * Turns the options into a cargo invocation: boolean options become cargo
#   features (`--no-default-features --features ...`), valued options become
#   environment variables of the same name. The options, their kinds, defaults,
#   ranges, cargo features and dependency rules come from anj_options.cmake, which
#   tools/gen-options.sh generates from the option table (anj-core/options.rs) that
#   the build scripts read too; an Anjay Lite option that anj-rs does not implement
#   is accepted silently at its default and with a warning otherwise.
# * Defines
#     anj                      IMPORTED static library: libanj.a built by cargo,
#                              plus include/ and the generated anj/anj_config.h
#                              (build.rs's, with the sizes of the opaque types read
#                              from the compiled library: cmake/anj_rs_sizes.cmake);
#     anj_extra_warning_flags  INTERFACE target with GCC/Clang warning flags;
#     anj_rs_cargo_build       the custom target that runs cargo (always; cargo
#                              decides what is stale, and the header is only
#                              rewritten when its contents change).
#   Anything linking `anj` depends on `anj_rs_cargo_build`.
#
# anj-rs specific knobs (all optional)
# ------------------------------------
#   ANJ_RUST_TARGET            Rust target triple, passed as `cargo --target`
#                              (e.g. thumbv7em-none-eabihf). Empty: the host.
#   ANJ_RS_CARGO               cargo executable (default: found on PATH / ~/.cargo).
#   ANJ_RS_CARGO_PROFILE       cargo profile. Default: `dev` when
#                              CMAKE_BUILD_TYPE is Debug, `release` otherwise
#                              (also for multi-config generators).
#   ANJ_RS_CARGO_FLAGS         extra arguments for `cargo build` (a list), e.g.
#                              --offline or --locked.
#   ANJ_RS_BUILD_AT_CONFIGURE  ON (default): also run cargo once while
#                              configuring, so anj/anj_config.h exists for
#                              configure-time checks (check_include_file etc.).
#   ANJ_RS_CARGO_TARGET_DIR    cargo target directory. Default: the
#                              CARGO_TARGET_DIR environment variable seen while
#                              configuring, else <build>/anj-rs-target. Build
#                              directories may share one (dependencies such as the
#                              vendored MbedTLS are then built once); each links its
#                              own copy in <build>/anj-rs/lib.
#   ANJ_RS_NM                  the nm that reads the sizes of anj_t and the other
#                              opaque types from the compiled library into
#                              anj/anj_config.h (cmake/anj_rs_sizes.cmake). Default:
#                              CMAKE_NM (the toolchain's), else nm or llvm-nm.
#   ANJ_RS_DTLS_CONNECTION_ID  ON (default): the client asks for a DTLS Connection
#                              ID. MBEDTLS_CFG_STR (Anjay Lite's way of configuring
#                              the MbedTLS it builds) with
#                              MBEDTLS_SSL_DTLS_CONNECTION_ID=OFF turns it off too.
#
# Precedence as in Anjay Lite: `-DNAME=value` (no type) beats the project's plain
# set(NAME ...); see "Precedence" below. Deliberate differences from Anjay Lite's
# package file: options are not written into the CMake cache unless the command
# line put them there (removing a set() really brings the default back), and the
# package does not call project().

cmake_policy(PUSH)
cmake_policy(VERSION 3.16...3.31)

# ---------------------------------------------------------------------------
# Where things are. The package directory may be reached through a symlink
# (tools/check-tutorial.sh does that), so resolve it to the real repository.
get_filename_component(_anj_rs_list_file "${CMAKE_CURRENT_LIST_FILE}" REALPATH)
get_filename_component(_anj_rs_cmake_dir "${_anj_rs_list_file}" DIRECTORY)
get_filename_component(_anj_rs_repo "${_anj_rs_cmake_dir}" DIRECTORY)
set_property(GLOBAL PROPERTY ANJ_RS_REPO "${_anj_rs_repo}")
set_property(GLOBAL PROPERTY ANJ_RS_CMAKE_DIR "${_anj_rs_cmake_dir}")
unset(_anj_rs_list_file)

# ---------------------------------------------------------------------------
# Every option (Anjay Lite 3.0.0's and anj-rs's own), generated from the option table
# (anj-core/options.rs): _anj_rs_known_options (NAME|KIND|DEFAULT), _anj_rs_feature_map,
# _anj_rs_numeric_map, _anj_rs_env_options, _anj_rs_env_if_changed and _anj_rs_rules.
#   BOOL   ON/OFF option; a cargo feature when the feature map has one
#   NUM    non-negative integer in the numeric map's range; passed to cargo as an
#          environment variable when listed in _anj_rs_env_options (or, when not the
#          default, in _anj_rs_env_if_changed)
#   STR    free text (no anj-rs counterpart yet)
#   LEVEL  a log level token (L_TRACE ... L_MUTED)
#   CMAKE  knobs of Anjay Lite's own build that do not apply to anj-rs;
#          accepted with any value
include("${_anj_rs_cmake_dir}/anj_options.cmake")

# Names that are not Anjay Lite 3.0.0 options but that Anjay Lite's own examples
# set (and Anjay Lite silently ignores): accepted with a warning.
set(_anj_rs_tolerated_names
  ANJ_MBEDTLS_ALLOWED_CIPHERSUITES   # stale name used by AT-CryptoStorage
  ANJ_WITH_OSCORE                    # commercial Anjay Lite only
  ANJ_WITH_DEFAULT_OSCORE_OBJ        # commercial Anjay Lite only
  ANJ_NET_WITH_NON_IP_BINDING        # referenced by headers, never a CMake option
)

# anj-rs's own variables (see the top of this file).
set(_anj_rs_own_names
  ANJ_RUST_TARGET
  ANJ_RS_CARGO
  ANJ_RS_CARGO_PROFILE
  ANJ_RS_CARGO_FLAGS
  ANJ_RS_BUILD_AT_CONFIGURE
  ANJ_RS_CARGO_TARGET_DIR
  ANJ_RS_DTLS_CONNECTION_ID
  ANJ_RS_NM
  ANJ_RS_FMOD_IN_LIBC                # internal (cached try_compile results)
  ANJ_RS_FMOD_IN_LIBM
)
set_property(GLOBAL PROPERTY ANJ_RS_KNOWN_OPTIONS "${_anj_rs_known_options}")
set_property(GLOBAL PROPERTY ANJ_RS_TOLERATED_NAMES "${_anj_rs_tolerated_names}")
set_property(GLOBAL PROPERTY ANJ_RS_OWN_NAMES "${_anj_rs_own_names}")
set_property(GLOBAL PROPERTY ANJ_RS_FEATURE_MAP "${_anj_rs_feature_map}")
set_property(GLOBAL PROPERTY ANJ_RS_NUMERIC_MAP "${_anj_rs_numeric_map}")
set_property(GLOBAL PROPERTY ANJ_RS_ENV_OPTIONS "${_anj_rs_env_options}")
set_property(GLOBAL PROPERTY ANJ_RS_ENV_IF_CHANGED "${_anj_rs_env_if_changed}")
set_property(GLOBAL PROPERTY ANJ_RS_RULES "${_anj_rs_rules}")
foreach(_anj_rs_var known_options tolerated_names own_names feature_map numeric_map
        env_options env_if_changed rules cmake_dir)
  unset(_anj_rs_${_anj_rs_var})
endforeach()
unset(_anj_rs_var)

# Looks up KEY in a list of KEY=VALUE items.
function(_anj_rs_map_get out list_value key)
  set(_result "")
  set(_found FALSE)
  foreach(_item IN LISTS list_value)
    string(FIND "${_item}" "=" _eq)
    string(SUBSTRING "${_item}" 0 ${_eq} _k)
    if(_k STREQUAL key)
      math(EXPR _eq "${_eq} + 1")
      string(SUBSTRING "${_item}" ${_eq} -1 _result)
      set(_found TRUE)
      break()
    endif()
  endforeach()
  set(${out} "${_result}" PARENT_SCOPE)
  set(${out}_FOUND ${_found} PARENT_SCOPE)
endfunction()

function(_anj_rs_bool out name value)
  string(STRIP "${value}" _v)
  string(TOUPPER "${_v}" _v)
  if(_v MATCHES "^(ON|YES|TRUE|Y|1)$")
    set(${out} ON PARENT_SCOPE)
  elseif(_v MATCHES "^(OFF|NO|FALSE|N|0|IGNORE|NOTFOUND|.*-NOTFOUND)?$")
    set(${out} OFF PARENT_SCOPE)
  else()
    message(FATAL_ERROR
      "anjay_lite (anj-rs): ${name} is \"${value}\", which is not a boolean "
      "(use ON or OFF).")
  endif()
endfunction()

# Decimal comparison of two digit strings without leading zeros (math() is
# 64-bit signed, so very long inputs are compared by length first).
function(_anj_rs_num_less out a b)
  string(LENGTH "${a}" _la)
  string(LENGTH "${b}" _lb)
  if(_la LESS _lb)
    set(${out} TRUE PARENT_SCOPE)
  elseif(_la GREATER _lb)
    set(${out} FALSE PARENT_SCOPE)
  elseif(a STRLESS b)
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()

# Resolves the configuration seen from the calling scope (or from DIRECTORY, a
# directory already processed by add_subdirectory). Results, in the caller:
#   <prefix>_FEATURES   cargo features (list)
#   <prefix>_ENV        NAME=VALUE for cargo (list)
#   <prefix>_VALUES     NAME=VALUE of every Anjay Lite option, normalised (list)
#   <prefix>_SIGNATURE  a string identifying the resulting library
# Problems found are reported with message(WARNING/FATAL_ERROR).
function(_anj_rs_resolve_config prefix)
  cmake_parse_arguments(_arg "" "DIRECTORY" "" ${ARGN})
  get_property(_feature_map GLOBAL PROPERTY ANJ_RS_FEATURE_MAP)
  get_property(_numeric_map GLOBAL PROPERTY ANJ_RS_NUMERIC_MAP)
  get_property(_env_options GLOBAL PROPERTY ANJ_RS_ENV_OPTIONS)
  get_property(_env_if_changed GLOBAL PROPERTY ANJ_RS_ENV_IF_CHANGED)
  get_property(_rules GLOBAL PROPERTY ANJ_RS_RULES)
  get_property(_anj_rs_known_options GLOBAL PROPERTY ANJ_RS_KNOWN_OPTIONS)
  get_property(_anj_rs_tolerated_names GLOBAL PROPERTY ANJ_RS_TOLERATED_NAMES)
  get_property(_anj_rs_own_names GLOBAL PROPERTY ANJ_RS_OWN_NAMES)

  if(_arg_DIRECTORY)
    get_directory_property(_defined DIRECTORY "${_arg_DIRECTORY}" VARIABLES)
    set(_where " (in ${_arg_DIRECTORY})")
  else()
    get_cmake_property(_defined VARIABLES)
    set(_where "")
  endif()
  get_cmake_property(_cached CACHE_VARIABLES)
  list(APPEND _defined ${_cached})
  list(FILTER _defined INCLUDE REGEX "^ANJ_")
  list(REMOVE_DUPLICATES _defined)

  set(_known_names "")
  foreach(_entry IN LISTS _anj_rs_known_options)
    string(REPLACE "|" ";" _fields "${_entry}")
    list(GET _fields 0 _name)
    list(APPEND _known_names "${_name}")
  endforeach()
  set(_options ${_anj_rs_known_options})

  # Unknown ANJ_* names are almost always typos: refuse them.
  set(_unknown "")
  foreach(_name IN LISTS _defined)
    if(_name IN_LIST _known_names OR _name IN_LIST _anj_rs_own_names)
      continue()
    elseif(_name IN_LIST _anj_rs_tolerated_names)
      message(WARNING "anjay_lite (anj-rs): ${_name}${_where} is not an option of "
        "Anjay Lite 3.0.0 nor of anj-rs; it is ignored.")
    else()
      list(APPEND _unknown "${_name}")
    endif()
  endforeach()
  if(_unknown)
    string(REPLACE ";" ", " _unknown "${_unknown}")
    set(_anj_rs_own_names ${_anj_rs_own_names})
    list(FILTER _anj_rs_own_names EXCLUDE REGEX "^ANJ_RS_FMOD_")
    string(REPLACE ";" ", " _anj_rs_own_names "${_anj_rs_own_names}")
    message(FATAL_ERROR "anjay_lite (anj-rs): unknown option(s)${_where}: ${_unknown}. "
      "Every variable named ANJ_* must be an Anjay Lite 3.0.0 option "
      "(see include/anj/anj_config.h of Anjay Lite) or one of: ${_anj_rs_own_names}.")
  endif()

  set(_values "")
  set(_features "")
  set(_env "")
  set(_unsupported "")
  foreach(_entry IN LISTS _options)
    string(REPLACE "|" ";" _fields "${_entry}")
    list(LENGTH _fields _nf)
    list(GET _fields 0 _name)
    list(GET _fields 1 _kind)
    set(_default "")
    if(_nf GREATER 2)
      list(GET _fields 2 _default)
    endif()
    if(_name IN_LIST _defined)
      if(_arg_DIRECTORY)
        get_directory_property(_raw DIRECTORY "${_arg_DIRECTORY}" DEFINITION "${_name}")
      else()
        set(_raw "${${_name}}")
      endif()
    else()
      set(_raw "${_default}")
    endif()

    if(_kind STREQUAL "BOOL")
      _anj_rs_bool(_value "${_name}" "${_raw}")
      _anj_rs_map_get(_feature "${_feature_map}" "${_name}")
      if(_feature_FOUND)
        if(_value)
          list(APPEND _features "${_feature}")
        endif()
      elseif(NOT _value STREQUAL _default)
        list(APPEND _unsupported "${_name}=${_value}")
      endif()
    elseif(_kind STREQUAL "NUM")
      string(STRIP "${_raw}" _value)
      if(NOT _value MATCHES "^[0-9]+$")
        message(FATAL_ERROR "anjay_lite (anj-rs): ${_name}${_where} is \"${_raw}\"; "
          "it must be a non-negative integer.")
      endif()
      string(REGEX REPLACE "^0+" "" _value "${_value}")
      if(_value STREQUAL "")
        # Zero: allowed only where the table's range starts at 0 (checked below).
        set(_value 0)
      endif()
      _anj_rs_map_get(_range "${_numeric_map}" "${_name}")
      if(_range_FOUND)
        string(REPLACE ":" ";" _range "${_range}")
        list(GET _range 0 _min)
        list(GET _range 1 _max)
        _anj_rs_num_less(_below "${_value}" "${_min}")
        _anj_rs_num_less(_above "${_max}" "${_value}")
        if(_below OR _above)
          message(FATAL_ERROR "anjay_lite (anj-rs): ${_name}${_where} is ${_value}; "
            "anj-rs accepts ${_min} to ${_max}.")
        endif()
      endif()
      if(_name IN_LIST _env_options)
        list(APPEND _env "${_name}=${_value}")
      elseif(_name IN_LIST _env_if_changed)
        # Read by build.rs (the MbedTLS settings) from the environment; passed only
        # when not the default, so that the signature of a default configuration
        # stays as it was.
        if(NOT _value STREQUAL _default)
          list(APPEND _env "${_name}=${_value}")
        endif()
      elseif(NOT _value STREQUAL _default)
        list(APPEND _unsupported "${_name}=${_value}")
      endif()
    elseif(_kind STREQUAL "LEVEL")
      string(STRIP "${_raw}" _value)
      if(NOT _value MATCHES "^L_(TRACE|DEBUG|INFO|WARNING|ERROR|MUTED)$")
        message(FATAL_ERROR "anjay_lite (anj-rs): ${_name}${_where} is \"${_raw}\"; "
          "expected one of L_TRACE, L_DEBUG, L_INFO, L_WARNING, L_ERROR, L_MUTED.")
      endif()
      if(NOT _value STREQUAL _default)
        list(APPEND _unsupported "${_name}=${_value}")
      endif()
    elseif(_kind STREQUAL "STR")
      set(_value "${_raw}")
      if(NOT _value STREQUAL _default)
        list(APPEND _unsupported "${_name}=${_value}")
      endif()
    else() # CMAKE: Anjay Lite build knobs with no meaning here
      set(_value "${_raw}")
      if(_name STREQUAL "ANJ_TESTING")
        _anj_rs_bool(_value "${_name}" "${_raw}")
        if(_value)
          message(WARNING "anjay_lite (anj-rs): ANJ_TESTING${_where} builds Anjay Lite's "
            "C unit tests; anj-rs has none of them (use `cargo test`). Ignored.")
        endif()
      endif()
    endif()
    string(REPLACE ";" "\\;" _value_escaped "${_value}")
    list(APPEND _values "${_name}=${_value_escaped}")
    set(_v_${_name} "${_value}")
    set(_k_${_name} "${_kind}")
  endforeach()

  # --- combinations refused (the table's rules: Anjay Lite's and anj-rs's) ----
  # A rule is WHEN|UNLESS|TEXT: refused when every option of WHEN is on and none of
  # UNLESS is. A boolean option is on when ON, a text option when not empty.
  set(_errors "")
  foreach(_rule IN LISTS _rules)
    string(REPLACE "|" ";" _parts "${_rule}")
    list(GET _parts 0 _when)
    list(GET _parts 1 _unless)
    list(GET _parts 2 _text)
    string(REPLACE "," ";" _when "${_when}")
    string(REPLACE "," ";" _unless "${_unless}")
    set(_refused TRUE)
    foreach(_n IN LISTS _when _unless)
      if(_k_${_n} STREQUAL "BOOL")
        set(_on "${_v_${_n}}")
      elseif("${_v_${_n}}" STREQUAL "")
        set(_on FALSE)
      else()
        set(_on TRUE)
      endif()
      if(_n IN_LIST _when AND NOT _on)
        set(_refused FALSE)
      elseif(_n IN_LIST _unless AND _on)
        set(_refused FALSE)
      endif()
    endforeach()
    if(_refused)
      list(APPEND _errors "${_text}")
    endif()
  endforeach()
  if(_errors)
    list(REMOVE_DUPLICATES _errors)
    string(REPLACE ";" "\n  - " _text "${_errors}")
    message(FATAL_ERROR "anjay_lite (anj-rs): inconsistent configuration${_where}:\n  - ${_text}")
  endif()

  if(_unsupported)
    string(REPLACE ";" ", " _text "${_unsupported}")
    message(WARNING "anjay_lite (anj-rs): not supported by anj-rs yet, so these "
      "settings${_where} have no effect (the library behaves as with Anjay Lite's "
      "defaults): ${_text}")
  endif()

  # The DTLS Connection ID (RFC 9146). Anjay Lite builds its own MbedTLS, configured with
  # MBEDTLS_CFG_STR ("NAME=VALUE;..."), and its test suite turns CID off that way. The
  # vendored MbedTLS of anj-rs is shared by every configuration and stays as it is; what
  # changes is that the client never asks for a CID (the same on the wire). anj-rs's own
  # switch is ANJ_RS_DTLS_CONNECTION_ID (default ON); an OFF in either turns it off.
  if(_arg_DIRECTORY)
    get_directory_property(_cfg_str DIRECTORY "${_arg_DIRECTORY}" DEFINITION MBEDTLS_CFG_STR)
    get_directory_property(_cid DIRECTORY "${_arg_DIRECTORY}" DEFINITION ANJ_RS_DTLS_CONNECTION_ID)
  else()
    set(_cfg_str "${MBEDTLS_CFG_STR}")
    set(_cid "${ANJ_RS_DTLS_CONNECTION_ID}")
  endif()
  if(_cid STREQUAL "")
    set(_cid ON)
  endif()
  _anj_rs_bool(_cid ANJ_RS_DTLS_CONNECTION_ID "${_cid}")
  set(_ignored_cfg "")
  foreach(_item IN LISTS _cfg_str)
    string(STRIP "${_item}" _item)
    if(_item STREQUAL "")
      continue()
    endif()
    if(_item MATCHES "^MBEDTLS_SSL_DTLS_CONNECTION_ID(=(.*))?$")
      set(_on ON)
      if(CMAKE_MATCH_1)
        _anj_rs_bool(_on MBEDTLS_SSL_DTLS_CONNECTION_ID "${CMAKE_MATCH_2}")
      endif()
      if(NOT _on)
        set(_cid OFF)
      endif()
    elseif(NOT _item MATCHES "^MBEDTLS_SSL_DTLS_CONNECTION_ID_COMPAT(=.*)?$")
      list(APPEND _ignored_cfg "${_item}")
    endif()
  endforeach()
  if(_ignored_cfg)
    string(REPLACE ";" ", " _text "${_ignored_cfg}")
    message(WARNING "anjay_lite (anj-rs): MBEDTLS_CFG_STR${_where}: only "
      "MBEDTLS_SSL_DTLS_CONNECTION_ID is applied (the vendored MbedTLS is shared by "
      "every configuration); ignored: ${_text}")
  endif()
  if(NOT _cid AND _v_ANJ_NET_WITH_DTLS)
    list(APPEND _env "ANJ_RS_DTLS_NO_CONNECTION_ID=1")
  endif()

  list(SORT _features)
  string(REPLACE ";" "," _feature_csv "${_features}")
  set(${prefix}_FEATURES "${_features}" PARENT_SCOPE)
  set(${prefix}_ENV "${_env}" PARENT_SCOPE)
  set(${prefix}_VALUES "${_values}" PARENT_SCOPE)
  string(REPLACE ";" " " _env_text "${_env}")
  set(${prefix}_SIGNATURE "features=${_feature_csv} env=${_env_text}" PARENT_SCOPE)
endfunction()

# ---------------------------------------------------------------------------
# Cargo invocation and the imported library.

function(_anj_rs_cargo_settings)
  if(NOT ANJ_RS_CARGO)
    find_program(ANJ_RS_CARGO cargo
      HINTS "$ENV{CARGO_HOME}/bin" "$ENV{HOME}/.cargo/bin"
      DOC "cargo executable used to build anj-rs")
    if(NOT ANJ_RS_CARGO)
      message(FATAL_ERROR "anjay_lite (anj-rs): cargo not found; install Rust "
        "(https://rustup.rs) or set ANJ_RS_CARGO.")
    endif()
  endif()
  if(ANJ_RS_CARGO_PROFILE)
    set(_profile "${ANJ_RS_CARGO_PROFILE}")
  elseif(CMAKE_BUILD_TYPE MATCHES "^[Dd][Ee][Bb][Uu][Gg]$")
    set(_profile dev)
  else()
    set(_profile release)
  endif()
  if(_profile STREQUAL "dev" OR _profile STREQUAL "test")
    set(_profile_dir debug)
  elseif(_profile STREQUAL "bench")
    set(_profile_dir release)
  else()
    set(_profile_dir "${_profile}")
  endif()
  if(CMAKE_CROSSCOMPILING AND NOT ANJ_RUST_TARGET)
    message(WARNING "anjay_lite (anj-rs): cross-compiling but ANJ_RUST_TARGET is not "
      "set, so the Rust library is built for the host. Set ANJ_RUST_TARGET to the "
      "Rust target triple of your MCU (e.g. thumbv7em-none-eabihf).")
  endif()
  set(_anj_rs_cargo "${ANJ_RS_CARGO}" PARENT_SCOPE)
  set(_anj_rs_profile "${_profile}" PARENT_SCOPE)
  set(_anj_rs_profile_dir "${_profile_dir}" PARENT_SCOPE)
endfunction()

# The cargo target directory: ANJ_RS_CARGO_TARGET_DIR, else the CARGO_TARGET_DIR
# environment variable seen while configuring, else DEFAULT (one per build directory).
# A shared one lets many build directories (configurations) build the dependencies,
# MbedTLS among them, once.
function(_anj_rs_target_dir out default)
  if(ANJ_RS_CARGO_TARGET_DIR)
    set(_dir "${ANJ_RS_CARGO_TARGET_DIR}")
  elseif(NOT "$ENV{CARGO_TARGET_DIR}" STREQUAL "")
    set(_dir "$ENV{CARGO_TARGET_DIR}")
  else()
    set(_dir "${default}")
  endif()
  get_filename_component(_dir "${_dir}" ABSOLUTE BASE_DIR "${CMAKE_BINARY_DIR}")
  set(${out} "${_dir}" PARENT_SCOPE)
endfunction()

# Removes FEATURE from the --features / --features=... arguments in ARGN.
function(_anj_rs_drop_feature out feature)
  set(_result "")
  set(_next_is_list FALSE)
  foreach(_arg IN LISTS ARGN)
    set(_prefix "")
    if(_next_is_list)
      set(_next_is_list FALSE)
    elseif(_arg MATCHES "^--features=(.*)$")
      set(_prefix "--features=")
      set(_arg "${CMAKE_MATCH_1}")
    elseif(_arg STREQUAL "--features" OR _arg STREQUAL "-F")
      set(_next_is_list TRUE)
      list(APPEND _result "${_arg}")
      continue()
    else()
      list(APPEND _result "${_arg}")
      continue()
    endif()
    string(REGEX REPLACE "[ ,]+" ";" _items "${_arg}")
    list(REMOVE_ITEM _items "${feature}" "anj/${feature}")
    string(REPLACE ";" "," _arg "${_items}")
    if(_arg STREQUAL "" AND _prefix STREQUAL "")
      list(POP_BACK _result)   # the `--features` before it
    elseif(NOT _arg STREQUAL "")
      list(APPEND _result "${_prefix}${_arg}")
    endif()
  endforeach()
  set(${out} "${_result}" PARENT_SCOPE)
endfunction()

# Creates the cargo custom target CARGO_TARGET and the imported library LIBRARY
# for a configuration resolved by _anj_rs_resolve_config().
function(_anj_rs_define_library)
  cmake_parse_arguments(_a "" "LIBRARY;CARGO_TARGET;TARGET_DIR;OUTPUT_DIR;SIGNATURE"
                        "FEATURES;ENV" ${ARGN})
  get_property(_repo GLOBAL PROPERTY ANJ_RS_REPO)
  get_property(_cmake_dir GLOBAL PROPERTY ANJ_RS_CMAKE_DIR)
  _anj_rs_cargo_settings()

  string(REPLACE ";" "," _feature_csv "${_a_FEATURES}")
  # `cargo rustc --crate-type staticlib`: [lib] also lists rlib (for Rust tests), and cargo
  # applies the profile's LTO only when the library is built as a staticlib alone.
  set(_args rustc --profile "${_anj_rs_profile}" --lib --crate-type staticlib
      --manifest-path "${_repo}/Cargo.toml"
      --target-dir "${_a_TARGET_DIR}"
      --no-default-features --features "${_feature_csv}"
      --message-format=json-render-diagnostics)
  set(_out_dir "${_a_TARGET_DIR}")
  if(ANJ_RUST_TARGET)
    list(APPEND _args --target "${ANJ_RUST_TARGET}")
    set(_out_dir "${_out_dir}/${ANJ_RUST_TARGET}")
  endif()
  # `--features vendored-mbedtls` in ANJ_RS_CARGO_FLAGS (how host builds get MbedTLS)
  # implies mbedtls, net-dtls and security. A configuration that turns one of them
  # off (Anjay Lite's suite has a "minimal" one) must not get them back that way.
  set(_flags ${ANJ_RS_CARGO_FLAGS})
  if(NOT ("mbedtls" IN_LIST _a_FEATURES AND "net-dtls" IN_LIST _a_FEATURES
          AND "security" IN_LIST _a_FEATURES))
    _anj_rs_drop_feature(_flags vendored-mbedtls ${_flags})
  endif()
  list(APPEND _args ${_flags})
  set(_out_dir "${_out_dir}/${_anj_rs_profile_dir}")
  # What cargo writes (shared by every build directory using the same target directory)
  # and the copy this build directory links (only rewritten when its contents change, so
  # an unchanged library relinks nothing).
  set(_lib_name "${CMAKE_STATIC_LIBRARY_PREFIX}anj${CMAKE_STATIC_LIBRARY_SUFFIX}")
  if(NOT CMAKE_STATIC_LIBRARY_PREFIX AND NOT CMAKE_STATIC_LIBRARY_SUFFIX)
    set(_lib_name "libanj.a")
  endif()
  set(_cargo_lib "${_out_dir}/${_lib_name}")
  set(_lib "${_a_OUTPUT_DIR}/lib/${_lib_name}")
  set(_header_dir "${_a_OUTPUT_DIR}/include")
  set(_header "${_header_dir}/anj/anj_config.h")

  # build.rs writes anj/anj_config.h into its OUT_DIR too; anj_rs_cargo.cmake copies it
  # from there (ANJ_CONFIG_HEADER_DIR, which differs per build directory, would make
  # cargo rerun build.rs and recompile anj whenever another build directory sharing the
  # target directory had built last).
  set(_env ${_a_ENV})
  # CMake puts CC (and CXX) into its own environment while it determines the compilers
  # on the first configure, so the cargo run at configure time would see them and the
  # one at build time would not; the build scripts' fingerprints would then differ and
  # the first build would rebuild everything. anj_rs_cargo.cmake clears both, and for a
  # host build CC is the project's C compiler every time.
  if(NOT (ANJ_RUST_TARGET AND CMAKE_CROSSCOMPILING) AND CMAKE_C_COMPILER)
    list(APPEND _env "CC=${CMAKE_C_COMPILER}")
  endif()
  # The bindgen workaround of .cargo/config.toml (mbedtls-rs-sys with its
  # wall-clock hook on glibc hosts), also when cargo runs outside the checkout.
  foreach(_triple x86_64_unknown_linux_gnu aarch64_unknown_linux_gnu)
    if(NOT DEFINED ENV{BINDGEN_EXTRA_CLANG_ARGS_${_triple}})
      list(APPEND _env "BINDGEN_EXTRA_CLANG_ARGS_${_triple}=-D__time_t_defined -Dtime_t=long")
    endif()
  endforeach()
  if(ANJ_RUST_TARGET AND CMAKE_CROSSCOMPILING)
    # Let the cc crate (build.rs compiles a little C) use the toolchain of the
    # CMake toolchain file. (Without one, CMake's compiler is the host's, and
    # the cc crate's own choice for the target is the better one.)
    string(REPLACE "-" "_" _triple "${ANJ_RUST_TARGET}")
    if(CMAKE_C_COMPILER)
      list(APPEND _env "CC_${_triple}=${CMAKE_C_COMPILER}")
      string(REPLACE ";" " " _cflags "${CMAKE_C_FLAGS}")
      list(APPEND _env "CFLAGS_${_triple}=${_cflags}")
    endif()
    if(CMAKE_AR)
      list(APPEND _env "AR_${_triple}=${CMAKE_AR}")
    endif()
  endif()

  # The nm that reads the sizes of the opaque types from the compiled library into
  # anj/anj_config.h (anj_rs_sizes.cmake): the toolchain's, else one on PATH (GNU and
  # LLVM nm read the ELF files of other targets too).
  if(ANJ_RS_NM)
    set(_nm "${ANJ_RS_NM}")
  elseif(CMAKE_NM)
    set(_nm "${CMAKE_NM}")
  else()
    find_program(ANJ_RS_NM NAMES nm llvm-nm
      DOC "nm that reads the sizes of anj-rs's opaque types from libanj")
    if(NOT ANJ_RS_NM)
      message(FATAL_ERROR "anjay_lite (anj-rs): no nm found (CMAKE_NM is empty); it reads "
        "the sizes of anj_t and the other opaque types from the library. Set ANJ_RS_NM.")
    endif()
    set(_nm "${ANJ_RS_NM}")
  endif()

  # The arguments go to the wrapper script through a file: no quoting trouble.
  set(_args_file "${_a_OUTPUT_DIR}/invocation.cmake")
  set(_content "# Generated by anjay_lite-config.cmake (anj-rs). Do not edit.\n")
  foreach(_var cargo args env header target_dir cargo_lib lib repo nm signature)
    if(_var STREQUAL "cargo")
      set(_val "${_anj_rs_cargo}")
    elseif(_var STREQUAL "nm")
      set(_val "${_nm}")
    elseif(_var STREQUAL "args")
      set(_val "${_args}")
    elseif(_var STREQUAL "env")
      set(_val "${_env}")
    elseif(_var STREQUAL "header")
      set(_val "${_header}")
    elseif(_var STREQUAL "target_dir")
      set(_val "${_a_TARGET_DIR}")
    elseif(_var STREQUAL "repo")
      set(_val "${_repo}")
    elseif(_var STREQUAL "cargo_lib")
      set(_val "${_cargo_lib}")
    elseif(_var STREQUAL "lib")
      set(_val "${_lib}")
    else()
      set(_val "${_a_SIGNATURE}")
    endif()
    set(_quoted "")
    foreach(_item IN LISTS _val)
      string(REPLACE "\\" "\\\\" _item "${_item}")
      string(REPLACE "\"" "\\\"" _item "${_item}")
      string(REPLACE "$" "\\$" _item "${_item}")
      string(APPEND _quoted " \"${_item}\"")
    endforeach()
    string(APPEND _content "set(anj_rs_${_var}${_quoted})\n")
  endforeach()
  set(_old "")
  if(EXISTS "${_args_file}")
    file(READ "${_args_file}" _old)
  endif()
  if(NOT _old STREQUAL _content)
    file(WRITE "${_args_file}" "${_content}")
  endif()

  set(_run "${CMAKE_COMMAND}" "-DANJ_RS_INVOCATION=${_args_file}" -P "${_cmake_dir}/anj_rs_cargo.cmake")

  # The include directory must exist for the imported target to be valid.
  file(MAKE_DIRECTORY "${_header_dir}/anj" "${_a_OUTPUT_DIR}/lib")

  if(NOT DEFINED ANJ_RS_BUILD_AT_CONFIGURE OR ANJ_RS_BUILD_AT_CONFIGURE)
    message(STATUS "anj-rs: cargo build (${_anj_rs_profile}; features ${_feature_csv})")
    execute_process(COMMAND ${_run}
      RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
    if(NOT _rc EQUAL 0)
      if(EXISTS "${_header}" AND NOT _out MATCHES "failed to run custom build command")
        string(LENGTH "${_out}" _len)
        if(_len GREATER 4000)
          math(EXPR _from "${_len} - 4000")
          string(SUBSTRING "${_out}" ${_from} -1 _out)
        endif()
        message(WARNING "anj-rs: cargo failed while configuring (anj/anj_config.h was "
          "generated; the build will run cargo again):\n${_out}")
      else()
        message(FATAL_ERROR "anj-rs: cargo failed and anj/anj_config.h could not be "
          "generated (build.rs failed):\n${_out}")
      endif()
    endif()
  endif()

  add_custom_target(${_a_CARGO_TARGET}
    COMMAND ${_run}
    BYPRODUCTS "${_lib}" "${_header}"
    WORKING_DIRECTORY "${_repo}"
    COMMENT "anj-rs: cargo build (${_anj_rs_profile})"
    USES_TERMINAL
    VERBATIM)

  add_library(${_a_LIBRARY} STATIC IMPORTED GLOBAL)
  set_target_properties(${_a_LIBRARY} PROPERTIES
    IMPORTED_LOCATION "${_lib}"
    IMPORTED_LINK_INTERFACE_LANGUAGES C
    INTERFACE_INCLUDE_DIRECTORIES "${_repo}/include;${_header_dir}")
  get_property(_math GLOBAL PROPERTY ANJ_RS_MATH_LIBRARY)
  if(_math)
    set_property(TARGET ${_a_LIBRARY} PROPERTY INTERFACE_LINK_LIBRARIES "${_math}")
  endif()
  add_dependencies(${_a_LIBRARY} ${_a_CARGO_TARGET})
  set_property(TARGET ${_a_LIBRARY} PROPERTY ANJ_RS_SIGNATURE "${_a_SIGNATURE}")
endfunction()

# Libraries the Rust code may need from the C runtime beyond libc: fmod() (Rust's
# `%` on floats) lives in libm on glibc. Anjay Lite's MATH_LIBRARY is honoured.
function(_anj_rs_detect_math_library)
  get_property(_done GLOBAL PROPERTY ANJ_RS_MATH_LIBRARY SET)
  if(_done)
    return()
  endif()
  if(DEFINED MATH_LIBRARY)
    set_property(GLOBAL PROPERTY ANJ_RS_MATH_LIBRARY "${MATH_LIBRARY}")
    return()
  endif()
  get_property(_languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  set(_found "")
  if("C" IN_LIST _languages)
    set(_dir "${CMAKE_BINARY_DIR}/CMakeFiles/anj_rs_math")
    file(WRITE "${_dir}/fmod.c"
      "#include <math.h>\nint main(void) { volatile double x = 7.5, y = 2.0; return (int) fmod(x, y); }\n")
    # try_compile() keeps its result in the cache: one variable per candidate.
    try_compile(ANJ_RS_FMOD_IN_LIBC "${_dir}/libc" "${_dir}/fmod.c")
    if(ANJ_RS_FMOD_IN_LIBC)
      set(_found "")
    else()
      try_compile(ANJ_RS_FMOD_IN_LIBM "${_dir}/libm" "${_dir}/fmod.c" LINK_LIBRARIES m)
      if(ANJ_RS_FMOD_IN_LIBM)
        set(_found m)
      endif()
    endif()
  elseif(UNIX)
    set(_found m)
  endif()
  set(MATH_LIBRARY "${_found}" CACHE STRING
    "Library providing fmod() for anj (may be empty)")
  set_property(GLOBAL PROPERTY ANJ_RS_MATH_LIBRARY "${_found}")
endfunction()

function(_anj_rs_define_warning_flags)
  if(TARGET anj_extra_warning_flags)
    return()
  endif()
  add_library(anj_extra_warning_flags INTERFACE)
  set(_id "${CMAKE_C_COMPILER_ID}")
  if(NOT _id)
    set(_id "${CMAKE_CXX_COMPILER_ID}")
  endif()
  if(_id MATCHES "GNU|Clang")
    target_compile_options(anj_extra_warning_flags INTERFACE
      -pedantic -Wall -Wextra -Wshadow -Winit-self -Wcast-qual -Wvla
      -Wconversion -Wsign-conversion -Wmissing-declarations
      -Wno-long-long -Wno-variadic-macros
      $<$<COMPILE_LANGUAGE:C>:-Wc++-compat>)
  endif()
endfunction()

# Public helper for projects that pull Anjay-Lite-style example directories in
# with add_subdirectory(): such a directory may set ANJ_* options of its own,
# which find_package() in the top-level project never saw. Call this after
# add_subdirectory(DIR): when DIR's options differ from those `anj` was built
# with, its targets are re-linked against a library built for DIR's options.
function(anj_rs_relink_directory dir)
  get_filename_component(_dir "${dir}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  _anj_rs_resolve_config(_cfg DIRECTORY "${_dir}")
  get_property(_main_signature TARGET anj PROPERTY ANJ_RS_SIGNATURE)
  if(_cfg_SIGNATURE STREQUAL _main_signature)
    return()
  endif()
  string(SHA1 _hash "${_cfg_SIGNATURE}")
  string(SUBSTRING "${_hash}" 0 10 _hash)
  set(_lib "anj_rs_variant_${_hash}")
  if(NOT TARGET ${_lib})
    _anj_rs_detect_math_library()
    set(_base "${CMAKE_BINARY_DIR}/anj-rs-variants/${_hash}")
    _anj_rs_target_dir(_target_dir "${_base}/target")
    _anj_rs_define_library(LIBRARY ${_lib} CARGO_TARGET ${_lib}_cargo
      TARGET_DIR "${_target_dir}" OUTPUT_DIR "${_base}"
      SIGNATURE "${_cfg_SIGNATURE}" FEATURES ${_cfg_FEATURES} ENV ${_cfg_ENV})
  endif()
  message(STATUS "anj-rs: ${dir} has its own configuration; it links ${_lib}")
  set(_dirs "${_dir}")
  while(_dirs)
    list(POP_FRONT _dirs _d)
    get_directory_property(_subdirs DIRECTORY "${_d}" SUBDIRECTORIES)
    list(APPEND _dirs ${_subdirs})
    get_directory_property(_targets DIRECTORY "${_d}" BUILDSYSTEM_TARGETS)
    foreach(_t IN LISTS _targets)
      foreach(_prop LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
        get_property(_libs TARGET ${_t} PROPERTY ${_prop})
        if(_libs)
          list(TRANSFORM _libs REPLACE "^anj$" "${_lib}")
          list(TRANSFORM _libs REPLACE "^\\$<LINK_ONLY:anj>$" "$<LINK_ONLY:${_lib}>")
          set_property(TARGET ${_t} PROPERTY ${_prop} "${_libs}")
        endif()
      endforeach()
    endforeach()
  endwhile()
endfunction()

# ---------------------------------------------------------------------------
# Main part.

set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  "${_anj_rs_repo}/build.rs" "${_anj_rs_repo}/Cargo.toml"
  "${_anj_rs_repo}/anj-core/options.rs")

# Precedence, as in Anjay Lite's package. Anjay Lite declares each option with
# set(NAME <value> CACHE <type> ...) under cmake_minimum_required(3.16), i.e. with policy
# CMP0126 unset (OLD). Such a set() leaves an existing cache entry's value alone, and
# when that entry has no type (`cmake -DNAME=value`, without `:TYPE`) it also removes a
# normal variable of the same name, so the command-line value beats the project's plain
# set(NAME ...); with a typed entry (-DNAME:STRING=..., or one from an earlier configure
# without -D) the project's set() wins. Doing the same set() here, only for entries that
# already exist, gives exactly that precedence without writing new options into the
# cache (so removing a set() still brings the default back).
cmake_policy(PUSH)
if(POLICY CMP0126)  # CMake before 3.21 always behaves so
  cmake_policy(SET CMP0126 OLD)
endif()
get_property(_anj_rs_options GLOBAL PROPERTY ANJ_RS_KNOWN_OPTIONS)
get_cmake_property(_anj_rs_cached CACHE_VARIABLES)
foreach(_anj_rs_item IN LISTS _anj_rs_options ITEMS "ANJ_RS_DTLS_CONNECTION_ID|BOOL|")
  string(REGEX MATCH "^([A-Z0-9_]+)\\|([A-Z]+)" _anj_rs_m "${_anj_rs_item}")
  set(_anj_rs_name "${CMAKE_MATCH_1}")
  if(_anj_rs_name IN_LIST _anj_rs_cached)
    get_property(_anj_rs_type CACHE "${_anj_rs_name}" PROPERTY TYPE)
    if(_anj_rs_type STREQUAL "UNINITIALIZED")
      get_property(_anj_rs_value CACHE "${_anj_rs_name}" PROPERTY VALUE)
      if(CMAKE_MATCH_2 STREQUAL "BOOL")
        set(${_anj_rs_name} "${_anj_rs_value}" CACHE BOOL "anjay_lite option")
      else()
        set(${_anj_rs_name} "${_anj_rs_value}" CACHE STRING "anjay_lite option")
      endif()
    endif()
  endif()
endforeach()
cmake_policy(POP)
unset(_anj_rs_options)
unset(_anj_rs_cached)
unset(_anj_rs_item)
unset(_anj_rs_m)
unset(_anj_rs_name)
unset(_anj_rs_type)
unset(_anj_rs_value)

_anj_rs_resolve_config(_anj_rs_cfg)

if(TARGET anj)
  # find_package() called again (another subproject): keep the first library.
  get_property(_anj_rs_first TARGET anj PROPERTY ANJ_RS_SIGNATURE)
  if(NOT _anj_rs_first STREQUAL _anj_rs_cfg_SIGNATURE)
    message(WARNING "anjay_lite (anj-rs): find_package(anjay_lite) was called again "
      "with different ANJ_* options; the target `anj` keeps the first configuration "
      "(${_anj_rs_first}); ignored now: ${_anj_rs_cfg_SIGNATURE}")
  endif()
  unset(_anj_rs_first)
else()
  _anj_rs_detect_math_library()
  _anj_rs_define_warning_flags()
  _anj_rs_target_dir(_anj_rs_target_dir "${CMAKE_BINARY_DIR}/anj-rs-target")
  _anj_rs_define_library(LIBRARY anj CARGO_TARGET anj_rs_cargo_build
    TARGET_DIR "${_anj_rs_target_dir}"
    OUTPUT_DIR "${CMAKE_BINARY_DIR}/anj-rs"
    SIGNATURE "${_anj_rs_cfg_SIGNATURE}"
    FEATURES ${_anj_rs_cfg_FEATURES} ENV ${_anj_rs_cfg_ENV})
endif()

# Like Anjay Lite, leave every option defined after find_package(), holding the
# value in effect (so `if(ANJ_WITH_OBSERVE)` works in the caller).
foreach(_anj_rs_item IN LISTS _anj_rs_cfg_VALUES)
  if(_anj_rs_item MATCHES "^([A-Z0-9_]+)=(.*)$")
    if(NOT DEFINED ${CMAKE_MATCH_1})
      set(${CMAKE_MATCH_1} "${CMAKE_MATCH_2}")
    endif()
  endif()
endforeach()
unset(_anj_rs_item)
unset(_anj_rs_cfg_FEATURES)
unset(_anj_rs_cfg_ENV)
unset(_anj_rs_cfg_VALUES)
unset(_anj_rs_cfg_SIGNATURE)
unset(_anj_rs_repo)

set(anjay_lite_FOUND TRUE)
cmake_policy(POP)
