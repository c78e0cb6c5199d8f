# anj-rs: version file of the `anjay_lite` CMake package.
#
# anj-rs implements the Anjay Lite 3.0.0 C API, so the package reports 3.0.0.
#
# Compatibility rule: "this version or any older one" (CMake's AnyNewerVersion
# semantics). Anjay Lite 3.0.0's own package file reports a placeholder version
# and accepts any request up to it, and a request without a version; the rule
# here accepts all of those too, plus every request up to 3.0.0.
# Version ranges (`find_package(anjay_lite 2.0...3.0)`) are honoured as well.

set(PACKAGE_VERSION "3.0.0")
set(PACKAGE_VERSION_COMPATIBLE FALSE)
set(PACKAGE_VERSION_EXACT FALSE)

if(NOT DEFINED PACKAGE_FIND_VERSION OR "${PACKAGE_FIND_VERSION}" STREQUAL "")
  # No version requested: anything goes.
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
elseif(DEFINED PACKAGE_FIND_VERSION_RANGE AND NOT "${PACKAGE_FIND_VERSION_RANGE}" STREQUAL "")
  # A range: the lower end must not be newer than us, and we must not be past
  # the upper end (inclusive or exclusive as requested).
  set(_anj_rs_in_range TRUE)
  if(PACKAGE_FIND_VERSION_MIN VERSION_GREATER PACKAGE_VERSION)
    set(_anj_rs_in_range FALSE)
  endif()
  if(PACKAGE_FIND_VERSION_RANGE_MAX STREQUAL "INCLUDE")
    if(PACKAGE_VERSION VERSION_GREATER PACKAGE_FIND_VERSION_MAX)
      set(_anj_rs_in_range FALSE)
    endif()
  else()
    if(NOT PACKAGE_VERSION VERSION_LESS PACKAGE_FIND_VERSION_MAX)
      set(_anj_rs_in_range FALSE)
    endif()
  endif()
  set(PACKAGE_VERSION_COMPATIBLE ${_anj_rs_in_range})
  unset(_anj_rs_in_range)
elseif(NOT PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION VERSION_EQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()

# A 32-bit C toolchain with a 64-bit Rust target (or the reverse) is caught by
# the generated header, not here: the Rust target is chosen by ANJ_RUST_TARGET.
