/* src/master/records.c -- (being written) */
