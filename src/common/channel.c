/* src/common/channel.c -- (being written) */
