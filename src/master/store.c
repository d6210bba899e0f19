/* src/master/store.c -- (being written) */
