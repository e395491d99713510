/* lede-query — placeholder until the searcher lands (issue 5). */
#include <lede.h>
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "lede-query: error: not built yet (lede %s)\n", lede_version());
    return 2;
}
