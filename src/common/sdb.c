/* src/common/sdb.c -- (being written) */
