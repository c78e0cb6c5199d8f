#include <anj/core.h>

#include <stdio.h>

int main(void) {
    anj_t anj;
    anj_configuration_t config = { 0 };
    config.endpoint_name = "precedence";
    /* Linking and initialising is all this program is for. */
    int result = anj_core_init(&anj, &config);
    printf("anj_core_init: %d\n", result);
    return result == 0 ? 0 : 1;
}
