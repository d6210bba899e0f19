/* src/master/spawn.c -- (being written) */
