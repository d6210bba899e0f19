/* src/common/ring.c -- (being written) */
