/* src/master/ops.c -- (being written) */
