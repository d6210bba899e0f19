/* src/master/indexes.c -- (being written) */
