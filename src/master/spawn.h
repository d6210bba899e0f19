/* src/master/spawn.h -- (being written) */
#ifndef SRC_MASTER_SPAWN_H
#define SRC_MASTER_SPAWN_H
#endif
