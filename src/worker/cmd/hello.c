/* src/worker/cmd/hello.c -- (being written) */
