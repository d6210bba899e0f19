/* src/master/cursors.c -- (being written) */
