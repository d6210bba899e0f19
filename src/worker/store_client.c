/* src/worker/store_client.c -- (being written) */
