const twilio = require("twilio"); // expect: PKG-TWILIO-NODE
const express = require("express");

const AccessToken = twilio.jwt.AccessToken;
const { ChatGrant, VideoGrant } = AccessToken;
const app = express();
const rest = twilio(process.env.TWILIO_ACCOUNT_SID, process.env.TWILIO_AUTH_TOKEN); // expect: REST-CLIENT

app.get("/token", (req, res) => {
  const env = process.env;
  const token = new AccessToken(env.TWILIO_ACCOUNT_SID, env.TWILIO_API_KEY, env.TWILIO_API_SECRET, { // expect: TOKEN-ACCESSTOKEN
    identity: req.query.identity,
  });
  token.addGrant(new ChatGrant({ serviceSid: env.SERVICE_SID })); // expect: TOKEN-ADDGRANT, TOKEN-CHATGRANT
  token.addGrant(new VideoGrant({ room: req.query.room })); // expect: TOKEN-ADDGRANT, TOKEN-VIDEOGRANT
  res.json({ identity: token.identity, token: token.toJwt() }); // expect: TOKEN-IDENTITY, TOKEN-TOJWT
});

app.post("/twilio/hook", twilio.webhook(), (req, res) => res.sendStatus(204)); // expect: HOOK-MIDDLEWARE

app.get("/history/:sid", async (req, res) => {
  const conversation = rest.conversations.v1.conversations(req.params.sid);
  const messages = await conversation.messages.list({ limit: 50 }); // expect: REST-CONV-READ
  await rest.conversations.v1.conversations(req.params.sid).participants.create({ identity: "bot" }); // expect: REST-CONV-PARTICIPANT-WRITE
  res.json(messages);
});

module.exports = app;
