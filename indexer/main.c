/* lede-index — placeholder until the indexer lands (issue 4). */
#include <lede.h>
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "lede-index: error: not built yet (lede %s)\n", lede_version());
    return 2;
}
