/* src/worker/update/udoc.c -- (being written) */
