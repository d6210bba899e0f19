/* src/master/catalog.c -- (being written) */
