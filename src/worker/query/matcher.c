/* src/worker/query/matcher.c -- (being written) */
