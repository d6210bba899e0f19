/* src/common/log.c -- (being written) */
