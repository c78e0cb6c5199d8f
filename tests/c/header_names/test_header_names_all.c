/* Links the "everything on" configuration of tests/c/header_names (the header tests
 * compile against its include directories) and checks a few of its options. */
#include <anj/core.h>
#include <anj/utils.h>

int main(void) {
#if !defined(ANJ_WITH_NTP) || !defined(ANJ_WITH_EXTERNAL_DATA) \
        || !defined(ANJ_WITH_COAP_DOWNLOADER) || !defined(ANJ_WITH_PERSISTENCE)
    return 1;
#else
    anj_uri_path_t path = ANJ_MAKE_RESOURCE_PATH(3, 0, 1);
    return anj_uri_path_length(&path) == 3 ? 0 : 1;
#endif
}
