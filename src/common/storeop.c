/* src/common/storeop.c -- (being written) */
