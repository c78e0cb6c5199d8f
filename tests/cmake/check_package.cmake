# Checks of the anjay_lite CMake package (ctest `cmake/package`), on the project in
# precedence/ (plain set() of options, as Anjay Lite's integration-test app has):
#
# 1. Option precedence as in Anjay Lite's package: `-DNAME=value` (no type) beats the
#    project's plain set(NAME ...), in the generated anj/anj_config.h too; a typed
#    -DNAME:STRING=... does not, and neither does the value a previous -D left in the
#    cache; the "minimal" way of turning security off from the command line works.
# 2. The first `cmake --build` after configuring (which already ran cargo) and the
#    second one rebuild and relink nothing.
# 3. Two build directories share one cargo target directory (ANJ_RS_CARGO_TARGET_DIR):
#    each links its own configuration.
# 4. MBEDTLS_CFG_STR with MBEDTLS_SSL_DTLS_CONNECTION_ID=OFF, or
#    ANJ_RS_DTLS_CONNECTION_ID=OFF, turns the Connection ID off; the MbedTLS handshake
#    timeouts given to CMake reach build.rs.
#
#   cmake -DREPO=<checkout> -DWORK=<scratch dir> -P tests/cmake/check_package.cmake
if(NOT REPO OR NOT WORK)
  message(FATAL_ERROR "usage: cmake -DREPO=<checkout> -DWORK=<dir> -P check_package.cmake")
endif()
set(_src "${REPO}/tests/cmake/precedence")
set(_target "${WORK}/cargo-target")
file(REMOVE_RECURSE "${WORK}/a" "${WORK}/b" "${WORK}/c")

set(_failures 0)
macro(check cond text)
  if(${cond})
    message(STATUS "ok: ${text}")
  else()
    message(SEND_ERROR "FAILED: ${text}")
    math(EXPR _failures "${_failures} + 1")
  endif()
endmacro()

function(configure dir)
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -S "${_src}" -B "${dir}"
      "-Danjay_lite_DIR=${REPO}/cmake" -DANJ_RS_CARGO_PROFILE=dev
      "-DANJ_RS_CARGO_TARGET_DIR=${_target}" ${ARGN}
    RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "configure ${dir} ${ARGN} failed:\n${_out}")
  endif()
endfunction()

function(build dir out)
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${dir}"
    RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "build ${dir} failed:\n${_out}")
  endif()
  set(${out} "${_out}" PARENT_SCOPE)
endfunction()

# seen.txt: the values the project sees after find_package(); invocation.cmake: what
# cargo is asked to build.
function(read_state dir)
  file(READ "${dir}/seen.txt" _seen)
  file(READ "${dir}/anj-rs/invocation.cmake" _inv)
  set(seen "${_seen}" PARENT_SCOPE)
  set(inv "${_inv}" PARENT_SCOPE)
endfunction()

function(has out text pattern)
  string(FIND "${text}" "${pattern}" _at)
  if(_at LESS 0)
    set(${out} FALSE PARENT_SCOPE)
  else()
    set(${out} TRUE PARENT_SCOPE)
  endif()
endfunction()

set(A "${WORK}/a")
set(_header "${A}/anj-rs/include/anj/anj_config.h")

# --- 1. precedence ---------------------------------------------------------------
# Fresh directory, untyped -D: the command line wins over the project's set().
configure("${A}" -DANJ_SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE=3000 -DANJ_WITH_LWM2M_SEND=OFF)
read_state("${A}")
file(READ "${_header}" _h)
has(_c "${seen}" "ANJ_SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE=3000")
check(_c "-D value (3000) seen by the project after find_package, not its set() (1000)")
has(_c "${_h}" "#define ANJ_SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE 3000")
check(_c "anj_config.h has ANJ_SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE 3000")
has(_c "${_h}" "#define ANJ_WITH_LWM2M_SEND")
if(_c)
  set(_c FALSE)
else()
  set(_c TRUE)
endif()
check(_c "anj_config.h: -DANJ_WITH_LWM2M_SEND=OFF beats set(ANJ_WITH_LWM2M_SEND ON)")

# --- 2. nothing to do after configure ----------------------------------------------
file(TIMESTAMP "${A}/anj-rs/lib/libanj.a" _lib_t0 "%s")
build("${A}" _out1)
file(TIMESTAMP "${A}/anj-rs/lib/libanj.a" _lib_t1 "%s")
file(GLOB _exe "${A}/precedence_app" "${A}/precedence_app.exe")
file(TIMESTAMP "${_exe}" _exe_t1 "%s")
string(REGEX MATCH "Compiling anj " _compiled "${_out1}")
set(_c FALSE)
if(_lib_t0 STREQUAL _lib_t1 AND NOT _compiled)
  set(_c TRUE)
endif()
check(_c "first build after configure does not rebuild anj")
execute_process(COMMAND "${CMAKE_COMMAND}" -E sleep 1)
build("${A}" _out2)
file(TIMESTAMP "${A}/anj-rs/lib/libanj.a" _lib_t2 "%s")
file(TIMESTAMP "${_exe}" _exe_t2 "%s")
string(REGEX MATCH "Compiling|Linking" _worked "${_out2}")
set(_c FALSE)
if(_lib_t1 STREQUAL _lib_t2 AND _exe_t1 STREQUAL _exe_t2 AND NOT _worked)
  set(_c TRUE)
endif()
check(_c "second build compiles and links nothing")
execute_process(COMMAND "${_exe}" RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
set(_c FALSE)
if(_rc EQUAL 0)
  set(_c TRUE)
endif()
check(_c "the program linked against anj runs (anj_core_init returns 0)")

# Re-configure without -D: the value the first -D left in the cache is typed now, so
# the project's set() wins again (Anjay Lite's package behaves the same).
configure("${A}" -DANJ_RS_BUILD_AT_CONFIGURE=OFF)
read_state("${A}")
has(_c "${inv}" "ANJ_SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE=1000")
check(_c "without -D, the project's set() wins over the cached earlier -D value")
# A typed -D loses to set(), as with Anjay Lite.
configure("${A}" -DANJ_SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE:STRING=2000)
read_state("${A}")
has(_c "${inv}" "ANJ_SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE=1000")
check(_c "-DNAME:STRING=2000 loses to set(NAME 1000)")
# Untyped again: wins again.
configure("${A}" -DANJ_SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE=3000)
read_state("${A}")
has(_c "${inv}" "ANJ_SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE=3000")
check(_c "-DNAME=3000 on an existing build directory wins again")
# --- 4. Connection ID ------------------------------------------------------------------
configure("${A}" -DANJ_RS_BUILD_AT_CONFIGURE=OFF)
read_state("${A}")
has(_c "${inv}" "ANJ_RS_DTLS_NO_CONNECTION_ID")
if(_c)
  set(_c FALSE)
else()
  set(_c TRUE)
endif()
check(_c "Connection ID on by default")
configure("${A}" -DANJ_RS_BUILD_AT_CONFIGURE=OFF "-DMBEDTLS_CFG_STR=MBEDTLS_SSL_DTLS_CONNECTION_ID=OFF;MBEDTLS_SSL_DTLS_CONNECTION_ID_COMPAT=OFF")
read_state("${A}")
has(_c "${inv}" "ANJ_RS_DTLS_NO_CONNECTION_ID=1")
check(_c "MBEDTLS_CFG_STR with MBEDTLS_SSL_DTLS_CONNECTION_ID=OFF turns the CID off")
configure("${A}" "-DMBEDTLS_CFG_STR=" -DANJ_RS_DTLS_CONNECTION_ID=OFF)
read_state("${A}")
has(_c "${inv}" "ANJ_RS_DTLS_NO_CONNECTION_ID=1")
check(_c "ANJ_RS_DTLS_CONNECTION_ID=OFF turns the CID off")

# The MbedTLS handshake timeouts reach build.rs (the suite's DTLS retry tests set the
# maximum); the default configuration passes none, so its signature is unchanged.
set(D "${WORK}/d")
file(REMOVE_RECURSE "${D}")
configure("${D}" -DANJ_RS_BUILD_AT_CONFIGURE=OFF)
read_state("${D}")
has(_c "${inv}" "ANJ_MBEDTLS_HS_")
if(_c)
  set(_c FALSE)
else()
  set(_c TRUE)
endif()
check(_c "default handshake timeouts: nothing passed to cargo")
configure("${D}" -DANJ_RS_BUILD_AT_CONFIGURE=OFF -DANJ_MBEDTLS_HS_INITIAL_TIMEOUT_VALUE_MS=500
  -DANJ_MBEDTLS_HS_MAXIMUM_TIMEOUT_VALUE_MS=2100)
read_state("${D}")
has(_c1 "${inv}" "ANJ_MBEDTLS_HS_MAXIMUM_TIMEOUT_VALUE_MS=2100")
has(_c2 "${inv}" "ANJ_MBEDTLS_HS_INITIAL_TIMEOUT_VALUE_MS=500")
set(_c FALSE)
if(_c1 AND _c2)
  set(_c TRUE)
endif()
check(_c "-DANJ_MBEDTLS_HS_*_TIMEOUT_VALUE_MS reach cargo's environment")
file(REMOVE_RECURSE "${D}")

# Security off from the command line (the suite's "minimal" configuration does this).
# ANJ_RS_CARGO_FLAGS with vendored-mbedtls (how the suite passes it) must not turn
# security back on.
configure("${A}" -DANJ_RS_BUILD_AT_CONFIGURE=OFF "-DANJ_RS_CARGO_FLAGS=--features;vendored-mbedtls" -DANJ_WITH_SECURITY=OFF -DANJ_WITH_MBEDTLS=OFF -DANJ_NET_WITH_DTLS=OFF
  -DANJ_WITH_CERTIFICATES=OFF)
read_state("${A}")
string(REGEX MATCH "\"--features\" \"([^\"]*,)?security[,\"]" _sec "${inv}")
string(FIND "${inv}" "vendored-mbedtls" _vendored)
set(_c FALSE)
if(NOT _sec AND _vendored EQUAL -1 AND seen MATCHES "ANJ_WITH_SECURITY=OFF")
  set(_c TRUE)
endif()
check(_c "-DANJ_WITH_SECURITY=OFF beats set(ANJ_WITH_SECURITY ON)")


# --- 3. a shared target directory -----------------------------------------------------
# A second build directory with another configuration, then the first one again: each
# links its own library, and the first one's copy is what it was.
set(B "${WORK}/b")
configure("${B}" -DANJ_SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE=2500)
build("${B}" _out)
file(READ "${B}/anj-rs/include/anj/anj_config.h" _hb)
has(_c "${_hb}" "#define ANJ_SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE 2500")
check(_c "second build directory on the shared target dir has its own anj_config.h")
file(SHA256 "${B}/anj-rs/lib/libanj.a" _lib_b)
# A third build directory with B's configuration builds nothing in cargo.
set(C "${WORK}/c")
file(REMOVE_RECURSE "${C}")
# Cargo's own output of configure-time runs is not shown, so look at its artifacts.
function(newest_artifact out)
  file(GLOB _files "${_target}/debug/deps/libanj-*" "${_target}/debug/build/anj-*/output")
  set(_max 0)
  foreach(_f IN LISTS _files)
    file(TIMESTAMP "${_f}" _t "%s")
    if(_t GREATER _max)
      set(_max "${_t}")
    endif()
  endforeach()
  set(${out} "${_max}" PARENT_SCOPE)
endfunction()
newest_artifact(_before)
execute_process(COMMAND "${CMAKE_COMMAND}" -E sleep 1.1)
execute_process(
  COMMAND "${CMAKE_COMMAND}" -S "${_src}" -B "${C}" "-Danjay_lite_DIR=${REPO}/cmake"
    -DANJ_RS_CARGO_PROFILE=dev "-DANJ_RS_CARGO_TARGET_DIR=${_target}"
    -DANJ_SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE=2500
  RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
build("${C}" _out_c)
string(REGEX MATCH "Compiling anj " _compiled "${_out}${_out_c}")
newest_artifact(_after)
if(NOT _before STREQUAL _after)
  set(_compiled TRUE)
endif()
file(READ "${C}/anj-rs/include/anj/anj_config.h" _hc)
set(_c FALSE)
if(_rc EQUAL 0 AND NOT _compiled AND _hc MATCHES "SERVER_PUBLIC_KEY_SIZE 2500")
  set(_c TRUE)
endif()
check(_c "a build directory with the configuration of another one compiles nothing in cargo")
configure("${A}" -DANJ_RS_BUILD_AT_CONFIGURE=ON -DANJ_RS_CARGO_FLAGS= -DANJ_SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE=3000 -DANJ_WITH_SECURITY=ON
  -DANJ_WITH_MBEDTLS=ON -DANJ_NET_WITH_DTLS=ON -DANJ_RS_DTLS_CONNECTION_ID=ON
  -DANJ_WITH_LWM2M_SEND=OFF)
build("${A}" _out)
file(SHA256 "${A}/anj-rs/lib/libanj.a" _lib_a)
file(READ "${_header}" _h)
set(_c FALSE)
if(NOT _lib_a STREQUAL _lib_b AND _h MATCHES "SERVER_PUBLIC_KEY_SIZE 3000")
  set(_c TRUE)
endif()
check(_c "first build directory still links its own configuration")

if(_failures GREATER 0)
  message(FATAL_ERROR "${_failures} check(s) failed")
endif()
