package datasets

// Categories the generator produces, in output order.
var SynthCategories = []string{
	"filters", "select", "sort_topk", "aggregations", "joins", "window_functions",
	"string_ops", "dates", "derived", "distinct", "full_pipeline",
}

type opFunc func(g *gen) *draft

// ops maps each category to its operations; each returns nil when the drawn
// table does not suit it, and the caller draws again.
var ops = map[string][]opFunc{
	"filters":          {opFilterNum, opFilterCat, opFilterIn, opFilterBool, opFilterNull, opFilterBetween, opFilterCombo},
	"select":           {opSelectCols, opSelectFilter, opSelectRename},
	"sort_topk":        {opTopK, opTopKSelect, opTopGroup},
	"aggregations":     {opCountBy, opSumBy, opMeanBy, opMultiAgg, opGlobalAgg, opCountBy2, opMinMaxBy},
	"joins":            {opJoinSelect, opJoinFilter, opSemiJoin, opAntiJoin, opJoinAgg, opJoinChain},
	"window_functions": {opRankOver, opCumSumOver, opShiftDiff, opPctOfGroup, opDiffFromMean, opFlagMax, opCumCount},
	"string_ops":       {opStrContains, opStrStarts, opStrLen, opStrUpper, opFirstLetter},
	"dates":            {opYearCount, opMonthCount, opDateFilter, opDateDiff, opWeekday, opYearFilterAgg},
	"derived":          {opArith, opRatio, opWhenThen},
	"distinct":         {opNUniqueBy, opNUniqueGlobal, opUniqueValues},
	"full_pipeline":    {opFilterGroupTop, opJoinFilterGroup, opDerivedGroupHaving},
}

func t1(t *tableProfile) []string { return []string{t.Name} }
