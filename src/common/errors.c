/* src/common/errors.c -- (being written) */
