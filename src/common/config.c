/* src/common/config.c -- (being written) */
