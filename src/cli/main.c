#include <delta/delta.h>
#include <stdio.h>
int main(void)
{
    printf("delta %s\n", delta_version());
    return 0;
}
