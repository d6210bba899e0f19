/* src/common/bsoncmp.c -- (being written) */
