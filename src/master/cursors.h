/* src/master/cursors.h -- (being written) */
#ifndef SRC_MASTER_CURSORS_H
#define SRC_MASTER_CURSORS_H
#endif
