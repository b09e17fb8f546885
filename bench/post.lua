-- wrk script: the small non-streamed /api/chat POST of case 1.
wrk.method = "POST"
wrk.body = '{"model":"llama3.2","messages":[{"role":"user","content":"Why is the sky blue?"}],"stream":false}'
wrk.headers["Content-Type"] = "application/json"
