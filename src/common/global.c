/* src/common/global.c -- (being written) */
