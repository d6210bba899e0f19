/* src/common/keyenc.c -- (being written) */
