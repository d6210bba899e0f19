/* src/master/stats.c -- (being written) */
