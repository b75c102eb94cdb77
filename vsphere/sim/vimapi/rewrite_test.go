package vimapi

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// envelope wraps body the way vcsim encodes a response: govmomi's encoder
// declares the XMLSchema-instance namespace on each typed element.
func envelope(body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		`<soapenv:Body>` + body + `</soapenv:Body></soapenv:Envelope>`
}

func propSet(name, typ, val string) string {
	return `<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects><obj type="HostSystem">host-1</obj>` +
		`<propSet><name>` + name + `</name><val xmlns:_XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance" _XMLSchema-instance:type="` + typ + `">` +
		val + `</val></propSet></objects></returnval></RetrievePropertiesExResponse>`
}

func TestRewrite(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, api, in, want string
	}{
		{
			name: "a property newer than the version is dropped",
			api:  "6.5",
			in:   propSet("capability", "HostCapability", `<rebootSupported>true</rebootSupported><quickBootSupported>true</quickBootSupported><maxSupportedVmMemory>1024</maxSupportedVmMemory><nfsSupported>true</nfsSupported>`),
			want: propSet("capability", "HostCapability", `<rebootSupported>true</rebootSupported><nfsSupported>true</nfsSupported>`),
		},
		{
			name: "a property of the version is kept",
			api:  "6.7.1",
			in:   propSet("capability", "HostCapability", `<quickBootSupported>true</quickBootSupported><maxSupportedVmMemory>1024</maxSupportedVmMemory>`),
			want: propSet("capability", "HostCapability", `<quickBootSupported>true</quickBootSupported>`),
		},
		{
			name: "an empty required enum gets the value that means unset, an optional one is dropped",
			api:  "6.5",
			in:   propSet("runtime", "VirtualMachineRuntimeInfo", `<connectionState>connected</connectionState><faultToleranceState></faultToleranceState><recordReplayState></recordReplayState><cryptoState></cryptoState>`),
			want: propSet("runtime", "VirtualMachineRuntimeInfo", `<connectionState>connected</connectionState><faultToleranceState>notConfigured</faultToleranceState><recordReplayState>inactive</recordReplayState>`),
		},
		{
			name: "a type newer than the version is sent as its nearest known base",
			api:  "6.5",
			in: `<QueryEventsResponse xmlns="urn:vim25"><returnval xmlns:_XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance" _XMLSchema-instance:type="HostSpecificationChangedEvent">` +
				`<key>7</key><fullFormattedMessage>x</fullFormattedMessage></returnval></QueryEventsResponse>`,
			want: `<QueryEventsResponse xmlns="urn:vim25"><returnval xmlns:_XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance" _XMLSchema-instance:type="HostEvent">` +
				`<key>7</key><fullFormattedMessage>x</fullFormattedMessage></returnval></QueryEventsResponse>`,
		},
		{
			name: "a fault's detail is checked as its type",
			api:  "6.5",
			in: `<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>no</faultstring><detail>` +
				`<InvalidArgumentFault xmlns="urn:vim25" xmlns:_XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance" _XMLSchema-instance:type="InvalidArgument"><invalidProperty>spec</invalidProperty></InvalidArgumentFault></detail></soapenv:Fault>`,
			want: `<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>no</faultstring><detail>` +
				`<InvalidArgumentFault xmlns="urn:vim25" xmlns:_XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance" _XMLSchema-instance:type="InvalidArgument"><invalidProperty>spec</invalidProperty></InvalidArgumentFault></detail></soapenv:Fault>`,
		},
		{
			name: "a method the schema lacks is answered unchanged",
			api:  "6.5",
			in:   `<FutureMethodResponse xmlns="urn:vim25"><returnval><anything>1</anything></returnval></FutureMethodResponse>`,
			want: `<FutureMethodResponse xmlns="urn:vim25"><returnval><anything>1</anything></returnval></FutureMethodResponse>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Rewrite(tt.api, []byte(envelope(tt.in)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(envelope(tt.want), string(got)); diff != "" {
				t.Errorf("Rewrite(%s) (-want +got):\n%s", tt.api, diff)
			}
		})
	}
}

func TestRewriteRefusesWhatItCannotAnswer(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if s.Knows("9.0.0.0") || !s.Knows("6.5") {
		t.Errorf("Knows: 9.0.0.0 %v, 6.5 %v; want false, true", s.Knows("9.0.0.0"), s.Knows("6.5"))
	}
	if _, err := s.Rewrite("9.0.0.0", []byte(envelope(""))); err == nil || !strings.Contains(err.Error(), `"9.0.0.0"`) {
		t.Errorf("Rewrite(9.0.0.0): %v, want an error naming the version", err)
	}
	if _, err := s.Rewrite("6.5", []byte(envelope(`<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval>`))); err == nil {
		t.Error("Rewrite of a truncated response: no error")
	}
}

func TestParseNamesTheBadLine(t *testing.T) {
	_, err := Parse([]byte("version 6.5 6.5\ntype Foo\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "type NAME BASE SINCE") {
		t.Errorf("Parse: %v, want an error naming line 2 and the form", err)
	}
}
