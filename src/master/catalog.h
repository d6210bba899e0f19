/* src/master/catalog.h -- (being written) */
#ifndef SRC_MASTER_CATALOG_H
#define SRC_MASTER_CATALOG_H
#endif
