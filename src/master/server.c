/* src/master/server.c -- (being written) */
