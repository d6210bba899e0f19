/* src/master/service.c -- (being written) */
