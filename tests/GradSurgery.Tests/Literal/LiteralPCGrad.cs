using System.Collections.Generic;
using static GradSurgery.Tests.Literal.Vectors;

namespace GradSurgery.Tests.Literal;

/// <summary>PCGrad exactly as Algorithm 1 reads (and the official code runs), on P-vectors.</summary>
internal static class LiteralPCGrad
{
    /// <summary>Σᵢ gᵢ^PC where orders[i] is the order in which task i visits the tasks.</summary>
    public static double[] Update(double[][] g, IReadOnlyList<int[]> orders, bool mean = false)
    {
        var total = Zeros(g[0].Length);
        for (var i = 0; i < g.Length; i++)
        {
            var pc = (double[])g[i].Clone();
            foreach (var j in orders[i])
            {
                var dot = Dot(pc, g[j]);
                if (dot < 0)
                    pc = Add(pc, g[j], -dot / Dot(g[j], g[j]));
            }
            total = Add(total, pc);
        }
        return mean ? Scale(total, 1.0 / g.Length) : total;
    }

    public static int[][] FixedOrders(int t)
    {
        var orders = new int[t][];
        for (var i = 0; i < t; i++)
        {
            orders[i] = new int[t];
            for (var k = 0; k < t; k++)
                orders[i][k] = k;
        }
        return orders;
    }
}
