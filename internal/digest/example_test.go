package digest_test

import (
	"fmt"

	"github.com/ksfsync/ksfsync/internal/digest"
)

func ExampleVerifier_Verify() {
	v := digest.NewVerifier([]string{"new-secret", "s3cr3t"}) // rotation: both accepted
	data := `{"customer_code":"c1,c2","start_date":"2026-11-01","end_date":"2026-11-30"}`
	err := v.Verify(data, "1763700000000", "38AA395074DAF9BAE375ABB5BCBFFE60")
	fmt.Println(err)
	err = v.Verify(data, "1763700000000", "00000000000000000000000000000000")
	fmt.Println(err)
	// Output:
	// <nil>
	// digest: digest does not match
}
