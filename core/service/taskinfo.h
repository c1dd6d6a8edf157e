/* The TaskInfo / TaskStatus codec moved to core/mapping/taskinfo.h (the spec -> Mesos mapping
 * owns what is sent); this name stays for code written against it. */
#ifndef SDK_SERVICE_TASKINFO_H
#define SDK_SERVICE_TASKINFO_H
#include "core/mapping/taskinfo.h"
#endif
