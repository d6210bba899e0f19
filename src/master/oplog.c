/* src/master/oplog.c -- (being written) */
