/* src/worker/update/update_int.h -- (being written) */
