/* anj-rs: micro-log file ID of anj-core/src/client/requests.rs, for tools that decode ANJ_LOG_MICRO lines
 * (Anjay Lite's micro_logs_decode.py). Listed in anj-core/src/log.rs (MICRO_LOG_FILE_IDS). */
#define ANJ_LOG_SOURCE_FILE_ID 1005
