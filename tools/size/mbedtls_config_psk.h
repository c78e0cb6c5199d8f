/*
 * MbedTLS 3.6 configuration for the size report: what a firmware build of anj-rs needs
 * for DTLS 1.2 with PSK (TLS_PSK_WITH_AES_128_CCM_8, the LwM2M mandatory suite), with
 * Connection ID and session resumption, and MbedTLS's static-buffer allocator instead
 * of a heap. Randomness comes from anj_rng_generate(), so no entropy or DRBG module.
 */
#ifndef ANJ_SIZE_MBEDTLS_CONFIG_PSK_H
#define ANJ_SIZE_MBEDTLS_CONFIG_PSK_H

#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_DTLS
#define MBEDTLS_SSL_DTLS_ANTI_REPLAY
#define MBEDTLS_SSL_DTLS_HELLO_VERIFY
#define MBEDTLS_SSL_DTLS_CONNECTION_ID

#define MBEDTLS_SSL_IN_CONTENT_LEN 1280
#define MBEDTLS_SSL_OUT_CONTENT_LEN 1280
#define MBEDTLS_KEY_EXCHANGE_PSK_ENABLED
#define MBEDTLS_SSL_CIPHERSUITES MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8

#define MBEDTLS_CIPHER_C
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_CCM_C
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER

#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
/* Every allocation goes to the static pool given to mbedtls_memory_buffer_alloc_init();
 * the default functions (used before that call) are these, not the C library's heap. */
#include <stddef.h>
void *anj_size_no_calloc(size_t n, size_t size);
void anj_size_no_free(void *ptr);
#define MBEDTLS_PLATFORM_STD_CALLOC anj_size_no_calloc
#define MBEDTLS_PLATFORM_STD_FREE anj_size_no_free

#ifdef ANJ_SIZE_MBEDTLS_CERTIFICATES
/* X.509 on top: ECDHE-ECDSA with AES-128-CCM-8 on secp256r1 (LwM2M's certificate suite). */
#    undef MBEDTLS_SSL_CIPHERSUITES
#    define MBEDTLS_SSL_CIPHERSUITES \
        MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8, MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8
#    define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#    define MBEDTLS_ECDH_C
#    define MBEDTLS_ECDSA_C
#    define MBEDTLS_ECP_C
#    define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#    define MBEDTLS_ECP_NIST_OPTIM
#    define MBEDTLS_BIGNUM_C
#    define MBEDTLS_ASN1_PARSE_C
#    define MBEDTLS_ASN1_WRITE_C
#    define MBEDTLS_OID_C
#    define MBEDTLS_PK_C
#    define MBEDTLS_PK_PARSE_C
#    define MBEDTLS_X509_USE_C
#    define MBEDTLS_X509_CRT_PARSE_C
#    define MBEDTLS_X509_REMOVE_INFO
#    define MBEDTLS_SSL_SERVER_NAME_INDICATION
#endif

#endif /* ANJ_SIZE_MBEDTLS_CONFIG_PSK_H */
